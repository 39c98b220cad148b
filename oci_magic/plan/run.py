"""Running a plan: ask the model for the plan, read it, then run its steps one by one, each through the loop
as its own request in the same conversation. A step that does not pass stops the plan there; `resume`
goes on from it (`%oci plan continue`: its last code runs again first; `%oci plan retry`: the model writes
it afresh).

It knows nothing of Jupyter: running one step (views, undo, cells) is the caller's `run_step`, and showing
the plan its `show`.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from typing import Any, Protocol

from oci_magic.errors import OciError, PlanError
from oci_magic.loop import prompts as loop_prompts
from oci_magic.loop import records
from oci_magic.loop.conversation import Conversation
from oci_magic.loop.generate import generate
from oci_magic.loop.records import Round, Run, StepMark
from oci_magic.loop.run import LoopSettings
from oci_magic.plan.prompts import plan_message, step_again_message, step_message
from oci_magic.plan.reading import fit_to_cap, read_plan
from oci_magic.plan.records import STEP_GOES_ON, Plan, Step

__all__ = ["PlanShow", "StepRunner", "write_plan", "run_steps", "resume", "redone"]

# run_step(step, mark, asked, first_reply): one step through the loop, as the caller runs a request; the
# turn the model reads is `asked`; `first_reply`, when given, is round 1's reply, already written.
StepRunner = Callable[[Step, StepMark, "str | None", "str | None"], Run]
CONTINUE, RETRY = "continue", "retry"


class PlanShow(Protocol):
    def plan_token(self, plan: Plan, text: str) -> None: ...

    def step_started(self, plan: Plan, step: Step) -> None: ...

    def plan_changed(self, plan: Plan) -> None: ...


def write_plan(
    plan: Plan,
    *,
    backend: Any,
    conversation: Conversation,
    settings: LoopSettings,
    cap: int,
    context: str,
    files: str,
    show: PlanShow,
) -> bool:
    """Ask for the plan and read its steps into `plan`. A reply without a list, or with one step, leaves the
    request as the plan's one step (the conversation as it was before); more steps than `cap` join the last
    one. False when no step can run (interrupted, the backend failed): `plan` says why."""
    before = list(conversation.messages)
    plan.planning = planning = Round(index=0)
    conversation.add_user(plan_message(plan.request, context, files, cap))
    messages = conversation.messages
    try:
        if backend.context_size is not None:
            messages = loop_prompts.fit_messages(
                messages,
                budget=backend.context_size - settings.max_tokens,
                count_tokens=backend.count_tokens,
                current_start=len(messages) - 1,
            )
        generate(
            backend,
            messages,
            planning,
            lambda kind, round_, text: show.plan_token(plan, text),
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
        )
    except KeyboardInterrupt:
        conversation.messages[:] = before
        _ended(plan, records.INTERRUPTED, "interrupted while the model wrote the plan; nothing ran", show)
        return False
    except Exception as exc:  # the backend failing: the plan's record says how, nothing ran
        conversation.messages[:] = before
        said = str(exc) if isinstance(exc, OciError) else f"{type(exc).__name__}: {exc}"
        _ended(plan, records.ERROR, f"the model could not write the plan: {said}", show)
        return False
    plan.reply, plan.duration = planning.reply, planning.generation_time
    conversation.add_assistant(planning.reply)
    steps = read_plan(planning.reply)
    if len(steps) < 2:
        conversation.messages[:] = before  # one step is the request itself, asked as %%oci asks it
        why = "the model's plan was not a numbered list" if not steps else "the model planned one step"
        plan.message = f"{why}: the request runs as one step"
        steps = [plan.request]
    else:
        steps, plan.message = fit_to_cap(steps, cap)
    plan.steps = [Step(index, text) for index, text in enumerate(steps, 1)]
    show.plan_changed(plan)
    return True


def run_steps(
    plan: Plan,
    *,
    run_step: StepRunner,
    show: PlanShow,
    context: Callable[[], str],
    start: int = 1,
    again: str | None = None,
) -> Plan:
    """Run the steps from `start` on until one does not pass; `again` (CONTINUE or RETRY) says how step
    `start` runs once more."""
    started, count = time.perf_counter(), len(plan.steps)
    plan.status, plan.stopped_at = records.Status.RUNNING, None
    show.plan_changed(plan)
    step = plan.steps[start - 1]
    try:
        for step in plan.steps[start - 1 :]:
            mark = StepMark(plan.id, step.index, count, step.title, attempt=len(step.runs) + 1)
            asked, first_reply = _asked(plan, step, context(), again if step.index == start else None)
            step.running = True
            show.step_started(plan, step)
            try:
                run = run_step(step, mark, asked, first_reply)
            finally:
                step.running = False
            step.runs.append(run)
            step.notes = (
                redone(run.final_code, plan.steps[: step.index - 1]) if run.status == records.PASSED else []
            )
            show.plan_changed(plan)
            if run.status not in STEP_GOES_ON:
                _stopped(plan, step, run.status)
                break
        else:
            passed = all(step.status == records.PASSED for step in plan.steps)
            plan.status = records.PASSED if passed else records.GENERATED
    except KeyboardInterrupt:  # between steps: the steps that ran keep their runs and cells
        _stopped(plan, step, records.INTERRUPTED)
    finally:
        if plan.status == records.Status.RUNNING:  # something escaped a step: the plan must not look alive
            _stopped(plan, step, records.ERROR)
        plan.duration = (plan.duration or 0.0) + time.perf_counter() - started
        show.plan_changed(plan)
    return plan


def resume(plan: Plan, how: str, *, still_done: Callable[[Run], bool], **run: Any) -> Plan:
    """`%oci plan continue` / `retry`: run the plan again from the first step that has not passed (or whose
    run was undone since), then the steps after it."""
    if not plan.steps:
        raise PlanError(f"plan {plan.id} has no steps ({plan.message}); ask again with %%oci --plan")
    for step in plan.steps:
        if step.status not in STEP_GOES_ON or not still_done(step.run):
            return run_steps(plan, start=step.index, again=how, **run)
    raise PlanError(
        f"plan {plan.id} has finished: its {len(plan.steps)} steps ran. Nothing to {how}; "
        f"%oci undo takes steps back (the step's run number, as %oci history lists them)"
    )


def _asked(plan: Plan, step: Step, context: str, again: str | None) -> tuple[str | None, str | None]:
    """The turn the model reads for `step`, and round 1's reply when its last code runs again."""
    count = len(plan.steps)
    if count == 1 and again is None:
        return None, None  # the request itself, as %%oci asks it (notebook context and file peeks)
    if again is None:
        return step_message(step.index, count, step.text, context), None
    code = step.run.final_code if step.run is not None else None
    rerun = again == CONTINUE and code is not None
    asked = step_again_message(step.index, count, step.text, step.run, context, rerun=rerun)
    return asked, f"```python\n{code}\n```" if rerun else None


def _stopped(plan: Plan, step: Step, status: records.Status) -> None:
    plan.status, plan.stopped_at = status, step.index


def _ended(plan: Plan, status: records.Status, message: str, show: PlanShow) -> None:
    plan.status, plan.message = status, message
    plan.duration = plan.planning.generation_time if plan.planning else None
    show.plan_changed(plan)


def _statements(code: str | None) -> dict[str, str]:
    """The code's top-level statements that do work (not imports, not a bare name), by their normalized form,
    each with its first line."""
    try:
        tree = ast.parse(code or "")
    except SyntaxError:
        return {}
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Name, ast.Attribute, ast.Constant)):
            continue
        found[ast.dump(node)] = ast.get_source_segment(code, node).splitlines()[0]
    return found


def redone(code: str | None, earlier: list[Step]) -> list[str]:
    """A note for each earlier step whose work this code does again (a statement of its passing code, the
    same but for layout): shown to the user, never a reason to stop, since redoing work is not wrong."""
    mine = _statements(code)
    notes = []
    for step in earlier:
        if step.run is None or step.status != records.PASSED:
            continue
        same = [line for key, line in _statements(step.run.final_code).items() if key in mine]
        if same:
            more = f" (+{len(same) - 1} more)" if len(same) > 1 else ""
            notes.append(f"redoes step {step.index}: `{same[0][:80]}`{more}")
    return notes
