"""`%%oci --plan` and `%oci plan [continue|retry]` in the kernel: the plan written and shown, then each step
run as one run of the call (`calls.Call.run`: its view, undo checkpoint, record and cells), under the plan's
display. The plan is `_oci` and is kept by the kernel's OciMagics with the runs of its steps."""

from __future__ import annotations

import argparse
from typing import Any

from oci_magic.errors import PlanError
from oci_magic.jupyter import calls
from oci_magic.jupyter.cells import NewCell, cells_for
from oci_magic.jupyter.manager import Insertion, OciMagics
from oci_magic.jupyter.run_lock import one_run_at_a_time
from oci_magic.jupyter.sidebar import tell_the_sidebar
from oci_magic.jupyter.undo import undo_state
from oci_magic.loop import records
from oci_magic.loop.records import Run, StepMark
from oci_magic.models import engine
from oci_magic.plan.records import Plan, Step
from oci_magic.plan.run import resume, run_steps, write_plan
from oci_magic.undo.checkpoint import UNDONE
from oci_magic.views.plan import PlanDisplay, PlanText

__all__ = ["answer_with_plan", "plan_again", "last_plan"]


def _show_for(kind: str, request: str) -> Any:
    if kind == "widget":
        return PlanDisplay(request)
    return PlanText(quiet=kind == "quiet")


def answer_with_plan(request: str, args: argparse.Namespace, oci: OciMagics) -> Plan:
    choice = engine.choose(oci, oci.engine_settings(), args.model)  # a bad name fails before any view
    show = _show_for(oci.view_kind(), request)
    plan = Plan(request=request, model=choice.name)
    oci.plans.append(plan)
    calls.keep_as_last(plan, oci)
    call = calls.open_call(request, args, oci, choice, show)
    if call is None:
        plan.status = records.INTERRUPTED
        plan.message = "interrupted while loading the model; nothing ran. Run the cell again to load it"
        show.plan_changed(plan)
        return plan
    plan.model = call.backend.name
    written = write_plan(
        plan,
        backend=call.backend,
        conversation=oci.conversation,
        settings=oci.loop_settings(args),
        cap=oci.plan_steps,
        context=call.context(),
        files=call.files(request),
        show=show,
    )
    tell_the_sidebar(oci)
    if written:
        run_steps(plan, run_step=_StepRunner(call, plan), show=show, context=call.context)
    tell_the_sidebar(oci)
    return plan


def last_plan(oci: OciMagics) -> Plan:
    plans = oci.plans
    if not plans:
        raise PlanError("no plan in this kernel yet: write a request under %%oci --plan")
    return plans[-1]


def plan_again(how: str, args: argparse.Namespace, oci: OciMagics) -> Plan:
    """`%oci plan continue|retry`: the last plan, from the step where it stopped (or the first step whose run
    was undone), with this call's flags."""
    with one_run_at_a_time(f"{how} a plan"):
        plan = last_plan(oci)
        choice = engine.choose(oci, oci.engine_settings(), args.model)
        show = _show_for(oci.view_kind(), plan.request)
        call = calls.open_call(plan.request, args, oci, choice, show)
        if call is None:
            raise PlanError("interrupted while loading the model; the plan is as it was")
        calls.keep_as_last(plan, oci)
        resume(
            plan,
            how,
            still_done=lambda run: undo_state(oci, run) != UNDONE,
            run_step=_StepRunner(call, plan),
            show=show,
            context=call.context,
        )
        tell_the_sidebar(oci)
        return plan


class _StepRunner:
    """Runs one step of `plan` as a run of `call`; without the JupyterLab extension, the steps this call ran
    land together in one cell (set_next_input keeps one), each under a comment with its title."""

    def __init__(self, call: calls.Call, plan: Plan) -> None:
        self.call, self.plan = call, plan
        self.sections: dict[int, str] = {}  # step index: its code as the one cell holds it

    def __call__(self, step: Step, mark: StepMark, asked: str | None, first_reply: str | None) -> Run:
        call = self.call
        title = f"Step {mark.index} of {mark.count}: {step.title}"
        view, executor = calls.view_and_executor(call.view_kind, title, call.oci)
        last = mark.index == mark.count  # --check is the whole request's: it runs after the last step
        run = call.run(step.text, executor, view, asked=asked, step=mark, first_reply=first_reply, check=last)
        if not call.oci.bridge.connected:
            self._into_one_cell(run, mark)
        return run

    def _into_one_cell(self, run: Run, mark: StepMark) -> None:
        code = [cell for cell in cells_for(run, self.call.cells) if cell.cell_type == "code"]
        if not code:
            return
        section = f"# Step {mark.index} of {mark.count}: {mark.title}\n{code[-1].source}"
        self.sections[mark.index] = section
        record = self.call.oci.record(run)
        record.cells = [NewCell(section, code[-1].metadata)]
        record.insertion = Insertion.SET_NEXT_INPUT
        note = ""
        if len(self.sections) == 1:
            note = (
                "oci · without the JupyterLab extension the plan's steps land in one cell below, each under "
                "a '# Step N' comment (the extension inserts a cell per step)"
            )
        joined = "\n\n".join(self.sections[index] for index in sorted(self.sections))
        calls.insert_without_extension([NewCell(joined)], note, self.call.oci.shell)
