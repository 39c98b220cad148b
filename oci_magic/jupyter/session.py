"""The per-kernel state: the conversation, the runs so far, and which backend answers.

One `Session` lives per kernel (`current()`); it is the only state oci-magic keeps besides the model cache.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oci_magic.backends import Backend
from oci_magic.errors import RunInProgressError
from oci_magic.jupyter.bridge import Bridge
from oci_magic.jupyter.cells import NewCell
from oci_magic.loop.conversation import Conversation
from oci_magic.loop.records import ErrorInfo, Run
from oci_magic.plan.records import Plan
from oci_magic.undo.checkpoint import Checkpoint

__all__ = [
    "Session",
    "RunRecord",
    "Insertion",
    "FailedCell",
    "current",
    "last_run",
    "set_backend",
    "record_cell",
    "one_run_at_a_time",
]


FAILED_CELLS_KEPT = 50


@dataclass
class FailedCell:
    """A cell of the user's that raised: what `%oci fix` repairs."""

    execution_count: int
    source: str
    error: ErrorInfo


class Insertion(StrEnum):
    """How a run's cells reached the notebook."""

    JUPYTERLAB = "jupyterlab"  # the extension inserted them, live: it can remove or change them again
    SET_NEXT_INPUT = "set_next_input"  # IPython's payload, one cell: only the user can remove it


@dataclass
class RunRecord:
    """What this kernel keeps of one run besides the run itself: its way back and the cells it left."""

    checkpoint: Checkpoint | None = None  # `%oci undo`; None when the run ran with undo off
    cells: list[NewCell] = field(default_factory=list)  # the cells it left in the notebook, as inserted
    insertion: Insertion | None = None  # how they got there


class Session:
    def __init__(self) -> None:
        self.conversation = Conversation()
        self.runs: list[Run] = []
        #: The plans (`%%oci --plan`); their steps' runs are in `runs` too.
        self.plans: list[Plan] = []
        #: A backend installed with set_backend(); None means the llama.cpp model from the settings.
        self.backend: Backend | None = None
        #: The user's cells that raised, by execution count, oldest first (the last few dozen).
        self.failed_cells: dict[int, FailedCell] = {}
        #: The OpenAI-compatible server's backend when OciMagics.endpoint is set: (its key, the backend).
        self.remote: tuple[tuple, Backend] | None = None
        #: The comm with the JupyterLab extension (connected only when the extension answered).
        self.bridge = Bridge()
        #: What is kept of each run (its checkpoint, its cells), by run id.
        self.records: dict[int, RunRecord] = {}

    def record(self, run: Run) -> RunRecord:
        """What this kernel keeps of `run` (an empty record for a run it keeps nothing of yet)."""
        return self.records.setdefault(run.id, RunRecord())

    def checkpoints(self) -> list[Checkpoint]:
        """The runs' ways back, oldest run first."""
        return [record.checkpoint for record in self.records.values() if record.checkpoint is not None]

    def record_cell(self, result: Any) -> None:
        """IPython's post_run_cell hook: remember a cell of the user's that raised. Generated code runs with
        store_history=False and is the loop's business, not recorded here."""
        info = getattr(result, "info", None)
        if info is None or not info.store_history or result.execution_count is None:
            return
        exc = result.error_before_exec or result.error_in_exec
        if exc is None:
            return
        from oci_magic.executors.kernel import format_error

        self.failed_cells[result.execution_count] = FailedCell(
            result.execution_count, info.raw_cell, format_error(exc)
        )
        while len(self.failed_cells) > FAILED_CELLS_KEPT:
            del self.failed_cells[next(iter(self.failed_cells))]

    @property
    def last_run(self) -> Run | None:
        return self.runs[-1] if self.runs else None


_session: Session | None = None


def current() -> Session:
    global _session
    if _session is None:
        _session = Session()
    return _session


def last_run() -> Run | None:
    """The record of the last `%%oci` run in this kernel (also `_oci` in the user namespace)."""
    return current().last_run


def set_backend(backend: Backend | None) -> None:
    """Answer every later `%%oci` with `backend` (a `Backend`: a `name` and `stream_chat`);
    `set_backend(None)` returns to the llama.cpp model from the settings."""
    if backend is not None and not isinstance(backend, Backend):
        raise TypeError(
            f"{type(backend).__name__} is not an oci_magic.backends.Backend: subclass it and write "
            "stream_chat(messages, **options), a generator of the reply's text chunks (the README's "
            "'Plug in another engine' shows one)"
        )
    current().backend = backend


def record_cell(result: Any) -> None:
    current().record_cell(result)


# One %%oci run at a time per process: a llama context is not thread-safe, and a run swaps sys.stdout and
# IPython's display hooks while its code executes.
_run_lock = threading.Lock()
_running_thread: int | None = None


@contextmanager
def one_run_at_a_time(action: str = "start another %%oci") -> Iterator[None]:
    """Hold the kernel's run lock for a run: a run from another thread waits for the one in progress; one
    started by the generated code of the run in progress (same thread) is refused: it would wait forever."""
    global _running_thread
    if _running_thread == threading.get_ident():
        raise RunInProgressError(
            f"a %%oci run is in progress, and the code it runs cannot {action}; "
            "run it from its own cell once this one has finished"
        )
    if not _run_lock.acquire(blocking=False):
        print("oci · another %%oci run is in progress; this one starts when it finishes…")
        _run_lock.acquire()
    _running_thread = threading.get_ident()
    try:
        yield
    finally:
        _running_thread = None
        _run_lock.release()
