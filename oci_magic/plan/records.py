"""The record of a plan: its request, the steps the model planned, and each step's runs (a step that was
continued or retried has several). Like a run it is `_oci`, a line of `%oci history` and a saved notebook,
so it answers what a run answers: `status`, `summary()`, `rounds`, `final_code`."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from oci_magic.loop import records
from oci_magic.loop.records import Round, Run, Status

__all__ = ["Step", "Plan", "STEP_GOES_ON"]

_plan_ids = itertools.count(1)

# How a step's run may end for the plan to go on to the next step: it passed, or (--no-run) its code was
# written and not meant to run.
STEP_GOES_ON = (records.PASSED, records.GENERATED)


@dataclass
class Step:
    index: int
    text: str  # what the step does, as planned: the request of its runs
    runs: list[Run] = field(default_factory=list)  # its attempts, first to last
    # What the user should look at that does not stop the plan (its code redoes an earlier step's work).
    notes: list[str] = field(default_factory=list)
    running: bool = False  # a run of it is in progress

    @property
    def run(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    @property
    def status(self) -> Status:
        """WAITING until it runs, RUNNING while it does, then its last run's status."""
        if self.running:
            return Status.RUNNING
        return self.run.status if self.run is not None else Status.WAITING

    @property
    def title(self) -> str:
        return self.text.strip().splitlines()[0] if self.text.strip() else ""


@dataclass
class Plan:
    request: str
    model: str = ""
    reply: str = ""  # the model's plan, as it wrote it
    planning: Round | None = None  # the reply's figures (tokens, time)
    steps: list[Step] = field(default_factory=list)
    status: Status = Status.RUNNING
    stopped_at: int | None = None  # the step it stopped at, when it did not pass
    # What happened to the plan itself: its reply was not a list, it had too many steps, it could not be
    # written (interrupted, the backend failed). Where it stopped and what to do is `advice`.
    message: str = ""
    id: int = field(default_factory=lambda: next(_plan_ids))
    started: float = field(default_factory=time.time)
    duration: float | None = None

    @property
    def runs(self) -> list[Run]:
        return [run for step in self.steps for run in step.runs]

    @property
    def rounds(self) -> list[Round]:
        """Every round of every step's runs, in order (as `_oci.rounds` reads for a run)."""
        return [round_ for run in self.runs for round_ in run.rounds]

    @property
    def final_code(self) -> str | None:
        """Each step's final code, one after another under its title."""
        parts = [
            f"# Step {step.index}: {step.title}\n{step.run.final_code}"
            for step in self.steps
            if step.run is not None and step.run.final_code is not None
        ]
        return "\n\n".join(parts) or None

    @property
    def advice(self) -> str:
        """Where the plan stopped, what it kept, and how to go on; "" unless it stopped at a step."""
        if self.stopped_at is None or self.status == Status.RUNNING:
            return ""
        done = self.stopped_at - 1
        if done > 1:
            kept = f"steps 1 to {done} ran and keep their cells"
        else:
            kept = "step 1 ran and keeps its cells" if done == 1 else "no step ran"
        return (
            f"stopped at step {self.stopped_at} of {len(self.steps)} ({self.status}); {kept}. Fix what it "
            "needs, then %oci plan continue (runs its code again, then repairs it), or %oci plan retry (the "
            "model writes it afresh)"
        )

    @property
    def passed_steps(self) -> int:
        return sum(step.status == records.PASSED for step in self.steps)

    def summary(self) -> str:
        took = f" · {self.duration:.1f} s" if self.duration is not None else ""
        n = len(self.steps)
        if self.status == Status.RUNNING:
            return f"planning{took}" if not self.steps else f"running: {self.passed_steps} of {n} steps ran"
        if not self.steps:
            return f"{self.status}: no plan{took}" + (f" — {self.message}" if self.message else "")
        steps = f"{n} of {n} step{'s' * (n != 1)}"
        if self.status == records.GENERATED:
            return f"written, not run (--no-run): {steps}{took}"
        if self.status == records.PASSED:
            return f"{self.verdict_words()}{took}"
        step = self.steps[(self.stopped_at or 1) - 1]
        how = step.run.summary() if step.run is not None else self.status
        return f"stopped at step {step.index} of {n} ({how}) · {self.passed_steps} of {n} steps ran{took}"

    @property
    def verdict(self) -> records.Verdict | None:
        """What verified a plan whose every step ran: VERIFIED (the user's --check, run after the last step,
        passed), AGREED (each step's candidates agreed), else UNVERIFIED. None for a plan that did not."""
        runs = [step.run for step in self.steps if step.run is not None]
        if self.status != records.PASSED or not runs:
            return None
        if runs[-1].verdict == records.VERIFIED:
            return records.VERIFIED
        if all(run.verdict == records.AGREED for run in runs):
            return records.AGREED
        return records.UNVERIFIED

    def verdict_words(self) -> str:
        """'passed: 3 of 3 steps, your check `...` passed', or 'ran without error: 3 of 3 steps, unverified:
        nothing checked them'."""
        n = len(self.steps)
        steps = f"{n} of {n} step{'s' * (n != 1)}"
        if self.verdict == records.VERIFIED:
            return f"passed: {steps}, {self.steps[-1].run.verdict_words()}"
        if self.verdict == records.AGREED:
            return f"passed: {steps}, each step's candidates agree"
        disagreed = [step.index for step in self.steps if step.run.verdict == records.DISAGREED]
        why = f"the candidates of step {disagreed[0]} disagree" if disagreed else "nothing checked them"
        return f"ran without error: {steps}, unverified: {why}"

    def __repr__(self) -> str:
        return f"<oci plan {self.id}: {self.summary()}, {self.request[:40]!r}>"
