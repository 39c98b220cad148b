"""One `%%oci` call in the kernel, from request to cells: choose and load the engine, pick the view, run the
loop on the kernel's executor, keep the run's record, and leave its cells below.

Plain objects only: the magic parses the call and turns the `OciError`s raised here into IPython's one-line
errors; errors inside the run are the run's own (its status and message).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oci_magic.errors import OciError
from oci_magic.executors.kernel import KernelExecutor
from oci_magic.jupyter import session
from oci_magic.jupyter.bridge import BridgeView
from oci_magic.jupyter.cells import cells_for
from oci_magic.jupyter.confirm import approver
from oci_magic.jupyter.settings import OciSettings
from oci_magic.jupyter.sidebar import state_message
from oci_magic.loop import records
from oci_magic.loop.run import run_request
from oci_magic.models import engine, memory
from oci_magic.notebook.peeks import request_peeks
from oci_magic.notebook.summary import namespace_summary
from oci_magic.undo.budget import parse_budget
from oci_magic.undo.checkpoint import Checkpoint
from oci_magic.views import View
from oci_magic.views.text import QuietView, TextView

__all__ = ["answer", "load_backend"]


def answer(request: str, args: argparse.Namespace, settings: OciSettings, shell: Any) -> records.Run:
    """Answer `request` through the loop, one run at a time in this kernel; the run is also `_oci`."""
    with session.one_run_at_a_time():
        return _answer_alone(request, args, settings, shell)


def _answer_alone(request: str, args: argparse.Namespace, settings: OciSettings, shell: Any) -> records.Run:
    state = session.current()
    choice = engine.choose(state, settings.engine_settings(), args.model)  # a bad name fails before any view
    view_kind = settings.view_kind(shell)
    # The widget shows what the code displays in the round's tab; other views leave it in the cell.
    executor = KernelExecutor(shell, show_outputs=view_kind != "widget")
    view = make_view(view_kind, request, executor)
    try:
        backend = engine.load(choice, view, check_memory=settings.check_memory)
    except KeyboardInterrupt:
        # Nothing ran and nothing is lost; the record says so and the next %%oci loads again.
        run = records.Run(request=request, status=records.INTERRUPTED, model=choice.name, duration=0.0)
        run.message = "interrupted while loading the model; nothing ran. Run the cell again to load it"
        _keep(run, shell)
        print(f"oci · {run.message}")
        return run
    state.conversation.use_system_prompt(settings.system_prompt)
    if args.new:
        state.conversation.reset()
    context = files = ""
    if settings.notebook_context and not args.no_context:
        context = namespace_summary(shell.user_ns, limit=settings.context_chars)
        files = request_peeks(request, Path.cwd(), limit=settings.context_chars)
    cells = args.cells or settings.cells
    if settings.undo:
        executor.checkpoint = Checkpoint(shell.user_ns, budget=_undo_budget(settings))
    listeners: tuple[View, ...] = (view,)
    if state.bridge.connected:  # the JupyterLab extension inserts the cells, live
        listeners += (BridgeView(state.bridge, _parent_msg_id(shell), cells),)
    run = run_request(
        request,
        backend=backend,
        executor=executor,
        conversation=state.conversation,
        settings=settings.loop_settings(args),
        context=context,
        files=files,
        listeners=listeners,
        approve=approver(show_code=view_kind != "widget") if args.confirm or settings.confirm else None,
    )
    if executor.checkpoint is not None:
        executor.checkpoint.close()
        state.checkpoints[run.id] = executor.checkpoint
    _keep(run, shell)
    if state.bridge.connected:  # the sidebar's model line (loaded now) and runs
        state.inserted[run.id] = ("jupyterlab", cells_for(run, cells))
        state.bridge.send(state_message(settings))
    else:
        _insert_cells_without_extension(run, cells, shell)
    if executor.checkpoint is not None and hasattr(view, "offer_undo"):
        _offer_undo(view, run.id, settings, shell)
    return run


def _offer_undo(view: Any, run_id: int, settings: OciSettings, shell: Any) -> None:
    """The widget's Undo and Keep: each acts once the cell has finished, as `%oci undo N` / `%oci keep N`."""
    from oci_magic.jupyter import undo

    def then_tell_the_sidebar(action):
        def act() -> str:
            try:
                with session.one_run_at_a_time("undo or keep a run"):
                    text = action()
            except OciError as exc:
                return f"oci · {exc}"
            session.current().bridge.send(state_message(settings))
            return text

        return act

    view.offer_undo(
        undo=then_tell_the_sidebar(lambda: "\n".join(undo.undo_runs(run_id, shell.user_ns))),
        keep=then_tell_the_sidebar(lambda: undo.keep_runs(run_id)),
    )


def load_backend(settings: OciSettings, model: str | None = None) -> Any:
    """The engine the settings (or `model`) choose, loaded now and shown as text (`%oci model`)."""
    choice = engine.choose(session.current(), settings.engine_settings(), model)
    return engine.load(choice, TextView(), check_memory=settings.check_memory)


def make_view(kind: str, request: str, executor: KernelExecutor) -> View:
    if kind == "widget":
        from oci_magic.views.widget import WidgetView  # ipywidgets: imported where a widget is drawn

        view = WidgetView(request, executor=executor)
        view.show()
        return view
    return QuietView() if kind == "quiet" else TextView()


def _keep(run: records.Run, shell: Any) -> None:
    session.current().runs.append(run)
    shell.user_ns["_oci"] = run


def _undo_budget(settings: OciSettings) -> int | None:
    """Bytes this run's copies may take: the setting, against free memory or what earlier runs hold."""
    from oci_magic.jupyter.undo import held_bytes

    return parse_budget(settings.undo_budget).for_run(memory.available_ram(), held_bytes())


def _insert_cells_without_extension(run: records.Run, mode: str, shell: Any) -> None:
    new_cells = cells_for(run, mode)
    if not new_cells:
        return
    session.current().inserted[run.id] = ("set_next_input", new_cells[-1:])
    # Without the JupyterLab extension the only way in is set_next_input, which keeps one cell.
    shell.set_next_input(new_cells[-1].source, replace=False)
    if len(new_cells) > 1:
        print(
            f"oci · --cells all inserts every round's cell with the JupyterLab extension; "
            f"without it, only the last one ({len(new_cells)} rounds are in _oci.rounds)"
        )


def _parent_msg_id(shell: Any) -> str | None:
    """The id of the execute request being answered: the extension finds the %%oci cell by it."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        return kernel.get_parent()["header"]["msg_id"]
    except (AttributeError, KeyError, TypeError):
        return None
