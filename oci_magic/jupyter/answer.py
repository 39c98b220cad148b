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
from oci_magic.jupyter import calls
from oci_magic.jupyter.cells import cells_for
from oci_magic.jupyter.manager import Insertion, OciMagics
from oci_magic.jupyter.run_lock import one_run_at_a_time
from oci_magic.loop import records
from oci_magic.models import engine
from oci_magic.plan.hint import plan_hint
from oci_magic.views.text import TextView

__all__ = ["answer", "load_backend"]


def answer(request: str, args: argparse.Namespace, oci: OciMagics) -> Any:
    """Answer `request` through the loop, one run at a time in this kernel; the run (or the plan, with
    --plan) is also `_oci`."""
    with one_run_at_a_time():
        if args.plan:
            from oci_magic.jupyter.plan import answer_with_plan

            return answer_with_plan(request, args, oci)
        return _answer_alone(request, args, oci)


def _answer_alone(request: str, args: argparse.Namespace, oci: OciMagics) -> records.Run:
    choice = engine.choose(oci, oci.engine_settings(), args.model)  # a bad name fails before any view
    view, executor = calls.view_and_executor(oci.view_kind(), request, oci)
    call = calls.open_call(request, args, oci, choice, view)
    if call is None:
        # Nothing ran and nothing is lost; the record says so and the next %%oci loads again.
        run = records.Run(request=request, status=records.INTERRUPTED, model=choice.name, duration=0.0)
        run.message = "interrupted while loading the model; nothing ran. Run the cell again to load it"
        oci.runs.append(run)
        calls.keep_as_last(run, oci)
        print(f"oci · {run.message}")
        return run
    run = call.run(request, executor, view)
    calls.keep_as_last(run, oci)
    if hint := plan_hint(run):
        print(f"oci · tip: {hint}")
    if not oci.bridge.connected:
        _insert_cells_without_extension(run, call.cells, oci)
    return run


def load_backend(oci: OciMagics, model: str | None = None) -> Backend:
    """The engine the settings (or `model`) choose, loaded now and shown as text (`%oci model`)."""
    choice = engine.choose(oci, oci.engine_settings(), model)
    return engine.load(choice, TextView(), check_memory=oci.check_memory)


def _insert_cells_without_extension(run: records.Run, mode: str, oci: OciMagics) -> None:
    new_cells = cells_for(run, mode)
    if not new_cells:
        return
    record = oci.record(run)
    record.cells, record.insertion = new_cells[-1:], Insertion.SET_NEXT_INPUT
    note = ""
    if len(new_cells) > 1:
        note = (
            f"oci · --cells all inserts every round's cell with the JupyterLab extension; "
            f"without it, only the last one ({len(new_cells)} rounds are in _oci.rounds)"
        )
    calls.insert_without_extension(new_cells, note, oci.shell)
