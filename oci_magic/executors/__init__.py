"""Executors run a code string and say what happened, as an `ExecutionResult`.

`KernelExecutor` runs in the user's live IPython shell. Anything with the same `run(code, *, timeout,
on_output)` method can serve the loop (an isolated subprocess for evaluation, for instance).
"""

from __future__ import annotations

from oci_magic.executors.results import ErrorInfo, ExecutionResult, Executor

__all__ = ["ErrorInfo", "ExecutionResult", "Executor"]
