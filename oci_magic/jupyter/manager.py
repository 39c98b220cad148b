"""A kernel's oci-magic, owned by its shell: the settings, the conversation, the runs and plans with one
record each, the engine plugged in with `set_backend`, the cells that raised, and the comm with JupyterLab.

`%load_ext oci_magic` attaches one `OciMagics` to the shell (`shell.oci_magics`), as IPython attaches its
history manager (`shell.history_manager`). Its traits are the settings, so `%config OciMagics.<name>` and
`c.OciMagics.<name>` in `ipython_config.py` set them under the name they always had. The `%%oci` magic
(`magics.py`) parses a call's flags and hands the call to it; the widget's buttons and the sidebar reach the
same object, so every path reads and changes one state.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from traitlets import Any as AnyTrait

from oci_magic.backends import Backend
from oci_magic.errors import OciError
from oci_magic.jupyter.bridge import Bridge
from oci_magic.jupyter.cells import NewCell
from oci_magic.jupyter.settings import OciSettings
from oci_magic.loop.conversation import Conversation
from oci_magic.loop.records import ErrorInfo, Run
from oci_magic.plan.records import Plan
from oci_magic.undo.checkpoint import Checkpoint

__all__ = ["OciMagics", "RunRecord", "Insertion", "FailedCell", "of", "of_this_kernel", "FAILED_CELLS_KEPT"]


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


class OciMagics(OciSettings):
    """oci-magic in one kernel: settings (`%config OciMagics.<name>`) and everything the kernel keeps."""

    shell = AnyTrait(allow_none=True)  # the InteractiveShell this belongs to (None: none, in unit tests)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        # parent=shell: the settings start from the shell's config (ipython_config.py's c.OciMagics).
        if shell is not None and getattr(shell, "config", None) is not None:
            kwargs.setdefault("parent", shell)
        super().__init__(shell=shell, **kwargs)
        self.conversation = Conversation()
        self.runs: list[Run] = []
        #: The plans (`%%oci --plan`); their steps' runs are in `runs` too.
        self.plans: list[Plan] = []
        #: A backend installed with set_backend(); None means the llama.cpp model from the settings.
        self.backend: Backend | None = None
        #: The user's cells that raised, by execution count, oldest first (the last few dozen).
        self.failed_cells: dict[int, FailedCell] = {}
        #: The OpenAI-compatible server's backend when `endpoint` is set: (its key, the backend).
        self.remote: tuple[tuple, Backend] | None = None
        #: The comm with the JupyterLab extension (connected only when the extension answered).
        self.bridge = Bridge()
        #: What is kept of each run (its checkpoint, its cells), by run id.
        self.records: dict[int, RunRecord] = {}

    @property
    def user_ns(self) -> dict[str, Any]:
        """The kernel's variables: what runs read and change, and what undo gives back."""
        return self.shell.user_ns

    @property
    def last_run(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    def record(self, run: Run) -> RunRecord:
        """What this kernel keeps of `run` (an empty record for a run it keeps nothing of yet)."""
        return self.records.setdefault(run.id, RunRecord())

    def checkpoints(self) -> list[Checkpoint]:
        """The runs' ways back, oldest run first."""
        return [record.checkpoint for record in self.records.values() if record.checkpoint is not None]

    def view_kind(self) -> str:
        """The view a call gets: the setting, or for 'auto' the widget where a frontend can draw it."""
        if self.view != "auto":
            return self.view
        # A Jupyter kernel has a frontend that may draw widgets; terminal IPython has none.
        if getattr(self.shell, "kernel", None) is None:
            return "text"
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            return "text"
        return "widget"

    def set_backend(self, backend: Backend | None) -> None:
        """Answer every later `%%oci` with `backend`; None: the llama.cpp model from the settings again."""
        if backend is not None and not isinstance(backend, Backend):
            raise TypeError(
                f"{type(backend).__name__} is not an oci_magic.backends.Backend: subclass it and write "
                "stream_chat(messages, **options), a generator of the reply's text chunks (the README's "
                "'Plug in another engine' shows one)"
            )
        self.backend = backend

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


# The shell that was given an OciMagics last, for the public functions where IPython's get_ipython() does
# not know the shell: one made directly (`InteractiveShell()`), as embedded IPython and test tools do. A
# pointer to the owner, not state: the state is the shell's.
_last_shell: weakref.ref | None = None


def of(shell: Any) -> OciMagics:
    """The shell's oci-magic, attached (and listed for `%config`) the first time it is asked for."""
    global _last_shell
    manager = getattr(shell, "oci_magics", None)
    if manager is None:
        manager = OciMagics(shell=shell)
        shell.oci_magics = manager
        shell.configurables.append(manager)
        _last_shell = weakref.ref(shell)
    return manager


def of_this_kernel() -> OciMagics:
    """The oci-magic of the IPython shell running this code (what `oci_magic.last_run()` and
    `oci_magic.set_backend()` reach)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None and _last_shell is not None:
        shell = _last_shell()
    if shell is None:
        raise OciError(
            "oci-magic lives in an IPython shell or a Jupyter kernel: run this there, after "
            "%load_ext oci_magic"
        )
    return of(shell)
