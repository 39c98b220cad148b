"""The plan's runner alone (no Jupyter): what it leaves when a step cannot run at all."""

import pytest


def test_a_step_runner_that_raises_leaves_the_plan_stopped_not_running():
    from oci_magic.loop import records
    from oci_magic.plan.records import Plan, Step
    from oci_magic.plan.run import run_steps

    class Show:
        def plan_token(self, plan, text): ...
        def step_started(self, plan, step): ...
        def plan_changed(self, plan): ...

    def broken(step, mark, asked, first_reply):
        raise RuntimeError("the kernel went away")

    plan = Plan(request="two things", steps=[Step(1, "one"), Step(2, "two")])
    with pytest.raises(RuntimeError):
        run_steps(plan, run_step=broken, show=Show(), context=lambda: "")
    assert plan.status == records.ERROR and plan.stopped_at == 1 and not plan.steps[0].running
    assert "stopped at step 1 of 2 (error); no step ran" in plan.advice
