"""What one `%%oci` call works with, and one run of the loop inside it: the engine chosen and loaded, the
view's kind, the notebook's context, and, per run, the executor, undo's checkpoint, the listeners, the run's
record and its cells. A plain call makes one run; a plan (`jupyter/plan.py`) one per step.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from oci_magic.backends import Backend
from oci_magic.errors import OciError
from oci_magic.executors.kernel import KernelExecutor
from oci_magic.jupyter.alternatives import put_in_cell
from oci_magic.jupyter.bridge import BridgeView
from oci_magic.jupyter.cells import NewCell, cells_for
from oci_magic.jupyter.confirm import approver
from oci_magic.jupyter.manager import Insertion, OciMagics
from oci_magic.jupyter.sidebar import tell_the_sidebar
from oci_magic.loop import records
from oci_magic.loop.records import StepMark
from oci_magic.loop.run import run_request
from oci_magic.models import engine, memory
from oci_magic.notebook.peeks import request_peeks
from oci_magic.notebook.summary import namespace_summary
from oci_magic.undo.budget import parse_budget
from oci_magic.undo.checkpoint import Checkpoint
from oci_magic.views import View
from oci_magic.views.text import QuietView, TextView

__all__ = ["Call", "open_call", "view_and_executor", "make_view", "keep_as_last", "insert_without_extension"]


@dataclass
class Call:
    """One `%%oci` call (or `%oci plan continue|retry`) once its engine is loaded."""

    request: str
    args: argparse.Namespace
    oci: OciMagics  # the kernel's settings and state
    view_kind: str
    backend: Backend

    @property
    def cells(self) -> str:
        return self.args.cells or self.oci.cells

    def context(self) -> str:
        """The notebook's variables as the model reads them, now ("" with --no-context)."""
        if not self.oci.notebook_context or self.args.no_context:
            return ""
        return namespace_summary(self.oci.user_ns, limit=self.oci.context_chars)

    def files(self, request: str) -> str:
        if not self.oci.notebook_context or self.args.no_context:
            return ""
        return request_peeks(request, Path.cwd(), limit=self.oci.context_chars)

    def run(
        self,
        request: str,
        executor: KernelExecutor,
        view: View,
        *,
        asked: str | None = None,
        step: StepMark | None = None,
        first_reply: str | None = None,
        check: bool = True,
    ) -> records.Run:
        """One run of the loop on `request`, kept by the kernel (`oci.records`) with its checkpoint and its
        cells, and the view's Undo and Keep offered; `check` False leaves out the call's --check line (a plan
        runs it after its last step only)."""
        oci = self.oci
        if oci.undo:
            executor.checkpoint = Checkpoint(oci.user_ns, budget=_undo_budget(oci))
        listeners: tuple[View, ...] = (view,)
        if oci.bridge.connected:  # the JupyterLab extension inserts the cells, live
            listeners += (BridgeView(oci.bridge, _parent_msg_id(oci.shell), self.cells),)
        loop_settings = oci.loop_settings(self.args)
        ask = loop_settings.ask_before
        approve = approver(ask, show_code=self.view_kind != "widget") if ask != "never" else None
        run = run_request(
            request,
            backend=self.backend,
            executor=executor,
            conversation=oci.conversation,
            settings=loop_settings if check else replace(loop_settings, check=None),
            context=self.context() if asked is None else "",
            files=self.files(request) if asked is None else "",
            listeners=listeners,
            approve=approve,
            asked=asked,
            step=step,
            first_reply=first_reply,
        )
        if executor.checkpoint is not None:
            executor.checkpoint.close()
            oci.record(run).checkpoint = executor.checkpoint
        oci.runs.append(run)
        if oci.bridge.connected:  # the sidebar's model line (loaded now) and runs
            record = oci.record(run)
            record.cells, record.insertion = cells_for(run, self.cells), Insertion.JUPYTERLAB
            tell_the_sidebar(oci)
        if executor.checkpoint is not None:
            offer_undo(view, run.id, oci)
        return run


def open_call(request: str, args: argparse.Namespace, oci: OciMagics, choice: Any, view: View) -> Call | None:
    """The call with its engine (`engine.choose`'s choice) loaded, shown loading by `view`; None when
    interrupted while loading (nothing ran)."""
    try:
        backend = engine.load(choice, view, check_memory=oci.check_memory)
    except KeyboardInterrupt:
        return None
    oci.conversation.use_system_prompt(oci.system_prompt)
    if args.new:
        oci.conversation.reset()
    return Call(request, args, oci, oci.view_kind(), backend)


def offer_undo(view: View, run_id: int, oci: OciMagics) -> None:
    """The widget's Undo and Keep: each acts once the cell has finished, as `%oci undo N` / `%oci keep N`."""
    from oci_magic.jupyter.undo import take_back

    def button(action: str):
        def act() -> str:
            try:
                text = take_back(oci, action, run_id)
            except OciError as exc:
                return f"oci · {exc}"
            tell_the_sidebar(oci)
            return text

        return act

    view.offer_undo(undo=button("undo"), keep=button("keep"))


def view_and_executor(kind: str, title: str, oci: OciMagics) -> tuple[View, KernelExecutor]:
    """The view of one run (plain, or a plan's step) and the executor it shows: made here, for both."""
    # The widget shows what the code displays in the round's tab; other views leave it in the cell.
    executor = KernelExecutor(oci.shell, show_outputs=kind != "widget")
    return make_view(kind, title, executor, oci), executor


def make_view(kind: str, request: str, executor: KernelExecutor | None, oci: OciMagics) -> View:
    if kind == "widget":
        from oci_magic.views.widget import WidgetView  # ipywidgets: imported where a widget is drawn

        view = WidgetView(request, executor=executor, put_in_cell=partial(put_in_cell, oci))
        view.show()
        return view
    return QuietView() if kind == "quiet" else TextView()


def keep_as_last(record: Any, oci: OciMagics) -> None:
    """`_oci`: the last run, or the last plan."""
    oci.user_ns["_oci"] = record


def insert_without_extension(cells: list[NewCell], note: str, shell: Any) -> None:
    """Without the JupyterLab extension the only way in is set_next_input, which keeps one cell (the last
    call wins): the cell given, and `note` said when something is left out."""
    if cells:
        shell.set_next_input(cells[-1].source, replace=False)
    if note:
        print(note)


def _undo_budget(oci: OciMagics) -> int | None:
    """Bytes this run's copies may take: the setting, against free memory or what earlier runs hold."""
    from oci_magic.jupyter.undo import held_bytes

    return parse_budget(oci.undo_budget).for_run(memory.available_ram(), held_bytes(oci))


def _parent_msg_id(shell: Any) -> str | None:
    """The id of the execute request being answered: the extension finds the %%oci cell by it."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        return kernel.get_parent()["header"]["msg_id"]
    except (AttributeError, KeyError, TypeError):
        return None
