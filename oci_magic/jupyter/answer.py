"""One `%%oci` call in the kernel, from request to cells: choose and load the engine, pick the view, run the
loop on the kernel's executor, keep the run's record, and leave its cells below. `%%oci --plan` goes to
`plan.py`, which makes one such run per step.

Plain objects only: the magic parses the call and turns the `OciError`s raised here into IPython's one-line
errors; errors inside the run are the run's own (its status and message).
"""

from __future__ import annotations

import argparse
from typing import Any

from oci_magic.backends import Backend
from oci_magic.jupyter import calls, session
from oci_magic.jupyter.cells import cells_for
from oci_magic.jupyter.settings import OciSettings
from oci_magic.loop import records
from oci_magic.models import engine
from oci_magic.plan.hint import plan_hint
from oci_magic.views.text import TextView

__all__ = ["answer", "load_backend"]


def answer(request: str, args: argparse.Namespace, settings: OciSettings, shell: Any) -> Any:
    """Answer `request` through the loop, one run at a time in this kernel; the run (or the plan, with
    --plan) is also `_oci`."""
    with session.one_run_at_a_time():
        if getattr(args, "plan", False):
            from oci_magic.jupyter.plan import answer_with_plan

            return answer_with_plan(request, args, settings, shell)
        return _answer_alone(request, args, settings, shell)


def _answer_alone(request: str, args: argparse.Namespace, settings: OciSettings, shell: Any) -> records.Run:
    state = session.current()
    choice = engine.choose(state, settings.engine_settings(), args.model)  # a bad name fails before any view
    view, executor = calls.view_and_executor(settings.view_kind(shell), request, shell)
    call = calls.open_call(request, args, settings, shell, choice, view)
    if call is None:
        # Nothing ran and nothing is lost; the record says so and the next %%oci loads again.
        run = records.Run(request=request, status=records.INTERRUPTED, model=choice.name, duration=0.0)
        run.message = "interrupted while loading the model; nothing ran. Run the cell again to load it"
        state.runs.append(run)
        calls.keep_as_last(run, shell)
        print(f"oci · {run.message}")
        return run
    run = call.run(request, executor, view)
    calls.keep_as_last(run, shell)
    if hint := plan_hint(run):
        print(f"oci · tip: {hint}")
    if not state.bridge.connected:
        _insert_cells_without_extension(run, call.cells, shell)
    return run


def load_backend(settings: OciSettings, model: str | None = None) -> Backend:
    """The engine the settings (or `model`) choose, loaded now and shown as text (`%oci model`)."""
    choice = engine.choose(session.current(), settings.engine_settings(), model)
    return engine.load(choice, TextView(), check_memory=settings.check_memory)


def _insert_cells_without_extension(run: records.Run, mode: str, shell: Any) -> None:
    new_cells = cells_for(run, mode)
    if not new_cells:
        return
    record = session.current().record(run)
    record.cells, record.insertion = new_cells[-1:], session.Insertion.SET_NEXT_INPUT
    note = ""
    if len(new_cells) > 1:
        note = (
            f"oci · --cells all inserts every round's cell with the JupyterLab extension; "
            f"without it, only the last one ({len(new_cells)} rounds are in _oci.rounds)"
        )
    calls.insert_without_extension(new_cells, note, shell)
