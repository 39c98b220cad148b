"""What running a piece of code did (`ExecutionResult`, with the `ErrorInfo` of what it raised), and what an
executor is: anything with `run(code, *, timeout, on_output)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from oci_magic.notebook.changes import Defined

__all__ = ["ErrorInfo", "ExecutionResult", "Executor"]


@dataclass
class ErrorInfo:
    """An exception raised by generated code (or its --check), as text."""

    type: str
    message: str
    traceback: str
    line: int | None = None  # where in the generated code it happened
    # What the model is told instead of `traceback`: the traceback with library frames collapsed, then the
    # values at the failing line (diagnose.py). None: the traceback itself.
    feedback: str | None = None

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


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
    defined: list[Defined] = field(default_factory=list)  # what the code defined or changed

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
