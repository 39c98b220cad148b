"""Showing a plan (`%%oci --plan`): the steps as soon as the model has written them, each step's status as it
changes, and how the plan ended. Each step's rounds are shown by the step's own view (text or widget), below.

`PlanText` prints (the text and quiet views); `PlanDisplay` keeps one rich display up to date, in place (the
widget view's kind: no widget is needed for a list)."""

from __future__ import annotations

import html
import time
from typing import Any

from oci_magic.loop import records
from oci_magic.plan.records import Plan, Step
from oci_magic.views.describe import step_mark
from oci_magic.views.text import FLUSH_INTERVAL, TextView

__all__ = ["PlanText", "PlanDisplay", "step_lines", "plan_header"]


def plan_header(plan: Plan) -> str:
    n = len(plan.steps)
    if not plan.steps:
        return f"oci · plan {plan.id} · writing the plan…"
    return f"oci · plan {plan.id} · {n} step{'s' * (n != 1)} · {plan.request.strip().splitlines()[0][:70]}"


def step_lines(step: Step) -> list[str]:
    """A step as one line (its mark, number, title, and how it went), then its notes."""
    run = step.run
    mark = step_mark(step.status, run)
    how = (
        f" · run {run.id}: {run.summary()}"
        if run is not None and run.status != records.Status.RUNNING
        else ""
    )
    return [f"{mark} {step.index}. {step.title}{how}", *(f"    note: {note}" for note in step.notes)]


def ended_lines(plan: Plan) -> list[str]:
    lines = [f"══ plan {plan.id} {plan.summary()}"]
    return lines + [f"   {said}" for said in (plan.message, plan.advice) if said]


class PlanText(TextView):
    """Prints the plan once written, a header before each step, and the plan's end; `quiet`: only the end."""

    def __init__(self, quiet: bool = False) -> None:
        super().__init__()
        self.quiet = quiet
        self._listed = False
        self._writing = False

    def loading(self, name: str, size_bytes: int) -> None:
        if not self.quiet:
            super().loading(name, size_bytes)

    def plan_token(self, plan: Plan, text: str) -> None:
        if self.quiet:
            return
        if not self._writing:
            self._writing = True
            self._print(f"oci · plan {plan.id} · {plan.model} · writing the plan")
        self._stream_token(text)

    def step_started(self, plan: Plan, step: Step) -> None:
        if not self.quiet:
            again = f" · attempt {len(step.runs) + 1}" if step.runs else ""
            self._print(f"━━ plan {plan.id} · step {step.index} of {len(plan.steps)}{again}: {step.title} ━━")

    def plan_changed(self, plan: Plan) -> None:
        if plan.steps and not self._listed:
            self._listed = True
            if not self.quiet:
                if plan.message:
                    self._print(f"oci · {plan.message}")
                self._print(
                    "\n".join([plan_header(plan), *(f"  {step.index}. {step.title}" for step in plan.steps)])
                )
        if plan.status != records.Status.RUNNING:
            lines = ended_lines(plan)
            if not self.quiet:
                lines[1:1] = [f"  {line}" for step in plan.steps for line in step_lines(step)]
            self._print("\n".join(lines))


class PlanDisplay:
    """One display of the plan (text and HTML), updated in place: its steps with their marks, the plan as it
    is being written, and how it ended."""

    def __init__(self, request: str) -> None:
        from IPython.display import display

        self._writing = ""
        self._flushed = 0.0
        first = f"oci · plan · {request.strip().splitlines()[0][:70]} · writing the plan…"
        bundle = {
            "text/plain": first,
            "text/html": f'<div class="oci-plan"><b>{html.escape(first)}</b></div>',
        }
        self._handle = display(bundle, raw=True, display_id=True)

    def loading(self, name: str, size_bytes: int) -> None:
        pass  # the first step's widget is not there yet; the model line comes with the plan

    def load_progress(self, fraction: float) -> None:
        pass

    def loaded(self, name: str, seconds: float) -> None:
        pass

    def load_failed(self, message: str) -> None:
        print(f"oci · could not load the model: {message}")

    def _bundle(self, plan: Plan) -> dict[str, Any]:
        lines = [plan_header(plan)]
        if not plan.steps and self._writing:
            lines.append(self._writing)
        lines += [line for step in plan.steps for line in step_lines(step)]
        if plan.status != records.Status.RUNNING:
            lines += ended_lines(plan)
        elif plan.steps and plan.message:
            lines.append(f"oci · {plan.message}")
        items = "".join(f"<div>{html.escape(line)}</div>" for line in lines[1:])
        body = f'<div class="oci-plan"><b>{html.escape(lines[0])}</b>{items}</div>'
        return {"text/plain": "\n".join(lines), "text/html": body}

    def _update(self, plan: Plan) -> None:
        if self._handle is not None:
            self._handle.update(self._bundle(plan), raw=True)

    def plan_token(self, plan: Plan, text: str) -> None:
        self._writing += text
        if time.monotonic() - self._flushed > FLUSH_INTERVAL:
            self._flushed = time.monotonic()
            self._update(plan)

    def step_started(self, plan: Plan, step: Step) -> None:
        self._update(plan)

    def plan_changed(self, plan: Plan) -> None:
        self._update(plan)
