"""What running a piece of code did (`ExecutionResult`, with the `ErrorInfo` of what it raised), and what an
executor is (`Executor`: `run(code, *, timeout, on_output)`, with defaults for the rest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oci_magic.candidates.trial import Trial
from oci_magic.notebook.changes import Defined
from oci_magic.safety.risks import Risk, risks

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


class Executor:
    """What runs the loop's code. Subclass it and write `run`; the other members have defaults: no
    namespace (the result checks need one and are then off), risks read from the code as written, and
    no trials apart from the user's data (one candidate runs)."""

    @property
    def namespace(self) -> dict[str, Any] | None:
        """The variables the code runs among, for the checks of what a run left behind; None: unknown."""
        return None

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> ExecutionResult:
        """Run `code`; `on_output(outputs)` with the outputs so far each time they change."""
        raise NotImplementedError(f"{type(self).__name__} must define run(code, *, timeout, on_output)")

    def risks(self, code: str) -> list[Risk]:
        """What `code` would do outside the process that the user should agree to first."""
        return risks(code, self.namespace)

    def try_codes(
        self, codes: list[str], timeout: float | None, call: frozenset[str] = frozenset()
    ) -> list[Trial] | str:
        """Each code tried where it cannot change the user's data, or why they cannot be (then one runs);
        the new functions named in `call` are called on the user's data (candidates/trial.py)."""
        return "this executor cannot try code apart from the user's data"
