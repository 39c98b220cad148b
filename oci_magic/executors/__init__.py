"""Executors run a code string and say what happened, as an `ExecutionResult`.

`KernelExecutor` runs in the user's live IPython shell. Any subclass of `Executor` with a `run(code, *,
timeout, on_output)` can serve the loop (an isolated subprocess for evaluation, for instance).
"""

from __future__ import annotations

from oci_magic.executors.results import ErrorInfo, ExecutionResult, Executor

__all__ = ["ErrorInfo", "ExecutionResult", "Executor"]
