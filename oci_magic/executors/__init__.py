"""Executors run a code string and say what happened, as an `ExecutionResult`.

`KernelExecutor` runs in the user's live IPython shell. Anything with the same `run(code, *, timeout,
on_output)` method can serve the loop (an isolated subprocess for evaluation, for instance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..records import ErrorInfo

__all__ = ["ExecutionResult", "Executor"]


@dataclass
class ExecutionResult:
    output: str = ""  # what was printed and the Out[] value, as text: what the model reads
    outputs: list[dict[str, Any]] = field(default_factory=list)  # the same as nbformat outputs, displays too
    error: ErrorInfo | None = None
    timed_out: bool = False
    interrupted: bool = False
    duration: float = 0.0
    hidden_chars: int = 0  # printed beyond the output limit: counted, not kept
    overrun: float = 0.0  # seconds past the time limit that a call ignoring the alarm (C code) kept running
    defined: list[str] = field(
        default_factory=list
    )  # "name: description" of what the code defined or changed

    @property
    def success(self) -> bool:
        return self.error is None and not self.timed_out and not self.interrupted


class Executor(Protocol):
    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> ExecutionResult: ...
