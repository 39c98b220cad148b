"""`%%oci --plan` in a real IPython shell, the model scripted (the loop's logic; a real model's plan is in
tests/behaviour/test_small_model.py): the plan shown at once, each step its own run in the same
conversation, stopping at a step that fails, continue and retry, the bad plans, an interrupt, and the plan
as a record (`_oci`, history, save, undo)."""

import nbformat
import pytest
from IPython.core.error import UsageError
from traitlets import TraitError

from oci_magic.backends import Backend
from oci_magic.loop import records

FENCE = "```"
PLAN = "Plan:\n1. Make `nums`, the numbers 1 to 5\n2. Compute `total`, their sum\n3. Print `total`"


def reply(code: str) -> str:
    return f"Here:\n{FENCE}python\n{code}\n{FENCE}"


# Three rounds of a step that fails (`offset` is missing), each different: a repeat would be asked afresh.
FAILING = [reply("total = sum(nums) + offset"), reply("total = sum(nums) + offset * 1")]
FAILING.append(reply("total = offset + sum(nums)"))


def usage_error(shell, cell: str) -> str:
    result = shell.run_cell(cell)
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    return str(result.error_in_exec)


def test_a_plan_runs_each_step_as_its_own_run_in_the_same_conversation(shell, scripted, capsys):
    backend = scripted(
        [PLAN, reply("nums = list(range(1, 6))"), reply("total = sum(nums)"), reply("print(total)")]
    )
    shell.run_cell("%%oci --plan\nmake the numbers 1 to 5, total them and print the total")
    plan = shell.user_ns["_oci"]
    said = capsys.readouterr().out
    assert plan.status == records.PASSED and len(plan.steps) == 3 and plan.stopped_at is None
    assert {run.step.plan for run in shell.oci_magics.runs} == {plan.id}
    assert [step.title for step in plan.steps] == [
        "Make `nums`, the numbers 1 to 5",
        "Compute `total`, their sum",
        "Print `total`",
    ]
    # The plan is shown before the first step runs, then each step under its header.
    assert said.index("1. Make `nums`") < said.index("━━ plan") < said.index("15\n")
    assert "══ plan" in said and "ran without error: 3 of 3 steps, unverified: nothing checked them" in said
    assert shell.user_ns["total"] == 15
    runs = shell.oci_magics.runs
    assert [run.step.index for run in runs] == [1, 2, 3] and all(r.status == "passed" for r in runs)
    assert [run.request for run in runs] == [step.text for step in plan.steps]
    # One conversation: the plan turn first, then step 2 is asked after step 1's code and result.
    asked_step_2 = backend.calls[2]
    assert "Do not write code yet" in asked_step_2[1]["content"]
    assert "nums = list(range(1, 6))" in "".join(m["content"] for m in asked_step_2)
    assert asked_step_2[-1]["content"].count("Step 2 of 3 of the plan: Compute `total`, their sum") == 1
    # Without the JupyterLab extension: one cell below with every step under its title.
    cell = shell.rl_next_input if hasattr(shell, "rl_next_input") else None
    if cell is not None:
        assert cell.index("# Step 1 of 3") < cell.index("# Step 2 of 3") < cell.index("# Step 3 of 3")
    assert plan.final_code.count("# Step") == 3


def test_a_step_that_fails_stops_the_plan_and_continue_runs_its_code_again_then_the_rest(
    shell, scripted, capsys
):
    backend = scripted(
        [PLAN, reply("nums = list(range(1, 6))")]
        + FAILING  # fails every round: `offset` is missing
        + [reply("print(total)")]
    )
    shell.run_cell("%%oci --plan\nmake the numbers, total them with the offset and print it")
    plan = shell.user_ns["_oci"]
    assert plan.status == records.FAILED and plan.stopped_at == 2
    assert [step.status for step in plan.steps] == ["passed", "failed", "waiting"]
    said = capsys.readouterr().out
    assert "stopped at step 2 of 3" in said and "%oci plan continue" in said and "%oci plan retry" in said
    assert "total" not in shell.user_ns and shell.user_ns["nums"] == [1, 2, 3, 4, 5]
    shell.run_cell("offset = 100")  # the user fixes what the step needed
    calls_before = len(backend.calls)
    shell.run_cell("%oci plan continue")
    assert plan.status == records.PASSED and shell.user_ns["total"] == 115
    # Step 2's code ran again as it was (no model call for it), then step 3 was asked.
    assert len(backend.calls) == calls_before + 1
    step_2 = plan.steps[1]
    assert len(step_2.runs) == 2 and step_2.runs[-1].step.attempt == 2
    assert step_2.runs[-1].rounds[0].code == "total = offset + sum(nums)"
    assert "step 2 of 3 · attempt 2: Compute `total`" in capsys.readouterr().out
    assert "has finished" in usage_error(shell, "%oci plan continue")


def test_retry_asks_the_model_for_the_step_afresh_and_tells_it_what_went_wrong(shell, scripted):
    backend = scripted(
        [PLAN, reply("nums = list(range(1, 6))")]
        + FAILING
        + [reply("total = sum(nums)"), reply("print(total)")]
    )
    shell.run_cell("%%oci --plan --rounds 3\nmake the numbers, total them and print it")
    plan = shell.user_ns["_oci"]
    assert plan.stopped_at == 2
    shell.run_cell("%oci plan retry")
    assert plan.status == records.PASSED and shell.user_ns["total"] == 15
    asked = backend.calls[-2][-1]["content"]
    assert "Step 2 of 3 of the plan, again" in asked and "NameError" in asked


def test_a_reply_that_is_not_a_list_runs_the_request_as_one_step(shell, scripted, capsys):
    backend = scripted([reply("x = 41 + 1"), reply("x = 42")])
    shell.run_cell("%%oci --plan\nset x to 42")
    plan = shell.user_ns["_oci"]
    said = capsys.readouterr().out
    assert "the model's plan was not a numbered list: the request runs as one step" in said
    assert len(plan.steps) == 1 and plan.steps[0].text == "set x to 42" and plan.status == records.PASSED
    # The plan's turns left the conversation: the step was asked as %%oci asks a request.
    assert "Do not write code yet" not in "".join(m["content"] for m in backend.calls[1])
    assert shell.user_ns["x"] == 42


def test_a_plan_of_one_step_runs_as_one_step(shell, scripted, capsys):
    scripted(["1. Set x to 42", reply("x = 42")])
    shell.run_cell("%%oci --plan\nset x to 42")
    assert "the model planned one step: the request runs as one step" in capsys.readouterr().out
    assert shell.user_ns["_oci"].steps[0].text == "set x to 42" and shell.user_ns["x"] == 42


def test_steps_past_the_cap_join_the_last_step(shell, scripted, capsys):
    shell.run_line_magic("config", "OciMagics.plan_steps = 2")
    backend = scripted([PLAN, reply("nums = list(range(1, 6))"), reply("total = sum(nums)\nprint(total)")])
    shell.run_cell("%%oci --plan\nmake the numbers 1 to 5, total them and print the total")
    plan = shell.user_ns["_oci"]
    assert "more than plan_steps = 2: steps 2 to 3 run as step 2" in capsys.readouterr().out
    assert len(plan.steps) == 2 and plan.steps[1].title == "Compute `total`, their sum; then Print `total`"
    assert "at most 2 steps" in backend.calls[0][-1]["content"]
    with pytest.raises(TraitError, match="plan_steps must be 2 or more"):
        shell.oci_magics.plan_steps = 1


def test_a_step_that_redoes_an_earlier_one_gets_a_note_and_still_passes(shell, scripted, capsys):
    scripted(
        [
            "1. Make `nums`\n2. Total them",
            reply("import math\nnums = list(range(1, 6))"),
            reply("import math\nnums = list(range(1, 6))\ntotal = sum(nums)"),
        ]
    )
    shell.run_cell("%%oci --plan\nmake numbers and total them")
    plan = shell.user_ns["_oci"]
    assert plan.status == records.PASSED
    assert plan.steps[1].notes == ["redoes step 1: `nums = list(range(1, 6))`"]
    assert "note: redoes step 1" in capsys.readouterr().out


def test_an_interrupt_in_a_step_stops_the_plan_there_and_keeps_the_steps_before(shell, scripted, capsys):
    scripted(
        [PLAN, reply("nums = list(range(1, 6))"), reply("raise KeyboardInterrupt"), reply("print(total)")]
    )
    shell.run_cell("%%oci --plan\nmake the numbers, total them and print it")
    plan = shell.user_ns["_oci"]
    assert plan.status == records.INTERRUPTED and plan.stopped_at == 2
    assert plan.steps[0].status == "passed" and plan.steps[2].status == "waiting"
    assert shell.user_ns["nums"] == [1, 2, 3, 4, 5]
    assert "stopped at step 2 of 3 (interrupted); step 1 ran and keeps its cells" in plan.advice


def test_history_save_and_undo_treat_the_plan_as_one_record(shell, scripted, capsys, tmp_path):
    scripted(
        [reply("before = 1"), PLAN, reply("nums = list(range(1, 6))"), reply("total = sum(nums)")]
        + [reply("print(total)")]
    )
    shell.run_cell("%%oci\nset before to 1")
    shell.run_cell("%%oci --plan\nmake the numbers 1 to 5, total them and print the total")
    plan = shell.user_ns["_oci"]
    capsys.readouterr()
    shell.run_cell("%oci history")
    history = capsys.readouterr().out
    first = shell.oci_magics.runs[0]
    assert history.index(f"run {first.id} · ran without error") < history.index(
        f"plan {plan.id} · ran without error: 3 of 3 steps"
    )
    assert f"  step 2 · run {plan.steps[1].run.id} · ran without error" in history
    path = tmp_path / "plan.ipynb"
    shell.run_cell(f"%oci save {path}")
    assert "saved 1 plan: 3 runs (3 rounds)" in capsys.readouterr().out
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert text.index("%%oci --plan") < text.index("Step 1 of 3") < text.index("Step 3 of 3")
    assert "set before to 1" not in text  # the last record only
    # Undo of the plan's first step's run takes back the whole plan; continue then runs it again.
    shell.run_cell(f"%oci undo {plan.steps[0].run.id}")
    assert "nums" not in shell.user_ns and "total" not in shell.user_ns and shell.user_ns["before"] == 1
    scripted([reply("nums = list(range(1, 6))"), reply("total = sum(nums)"), reply("print(total)")])
    shell.run_cell("%oci plan continue")
    assert shell.user_ns["total"] == 15 and plan.status == records.PASSED
    assert [len(step.runs) for step in plan.steps] == [2, 2, 2]


def test_bad_plan_commands_say_how_to_fix_them(shell, scripted):
    assert "no plan in this kernel yet" in usage_error(shell, "%oci plan continue")
    assert "no plan in this kernel yet" in usage_error(shell, "%oci plan")
    assert "unknown plan action 'again'" in usage_error(shell, "%oci plan again")
    scripted([PLAN, reply("nums = 1"), reply("total = 2"), reply("print(3)")])
    shell.run_cell("%%oci --plan\nthree steps")
    assert "has finished" in usage_error(shell, "%oci plan retry")


def test_plan_shows_the_last_plan_and_its_steps(shell, scripted, capsys):
    scripted([PLAN, reply("nums = list(range(1, 6))")] + FAILING)
    shell.run_cell("%%oci --plan\nmake the numbers, total them and print it")
    capsys.readouterr()
    shell.run_cell("%oci plan")
    said = capsys.readouterr().out
    assert "○ 1. Make `nums`" in said and "✗ 2. Compute `total`" in said and "· 3. Print `total`" in said
    assert "stopped at step 2 of 3" in said


def test_in_the_widget_view_the_plan_is_one_display_updated_in_place_above_a_widget_per_step(
    shell, scripted, widget_views, displays
):
    scripted([PLAN, reply("nums = list(range(1, 6))"), reply("total = sum(nums)"), reply("print(total)")])
    shell.run_cell("%%oci --plan\nmake the numbers 1 to 5, total them and print the total")
    plan_displays = [data for data, update in displays if "oci-plan" in data.get("text/html", "")]
    assert (
        plan_displays[0]["text/plain"].startswith("oci · plan")
        and "writing the plan" in plan_displays[0]["text/plain"]
    )
    last = plan_displays[-1]["text/plain"]
    assert "○ 1. Make `nums`" in last and "○ 3. Print `total`" in last and "ran without error: 3 of 3" in last
    assert all(update for data, update in displays[1:] if "oci-plan" in data.get("text/html", ""))
    assert [view.request for view in widget_views] == [
        "Step 1 of 3: Make `nums`, the numbers 1 to 5",
        "Step 2 of 3: Compute `total`, their sum",
        "Step 3 of 3: Print `total`",
    ]
    assert all(view.undo.layout.display != "none" for view in widget_views)  # each step can be undone


LONG = (
    "import math\nnums = list(range(1, 6))\ntotal = sum(nums)\nmean = total / len(nums)\nprint(mean + offset)"
)


def test_a_run_that_fails_late_in_long_code_suggests_a_plan(shell, scripted, capsys):
    scripted(
        [
            reply(LONG),
            reply(LONG.replace("offset", "offset * 1")),
            reply(LONG.replace("offset", "1 * offset")),
        ]
    )
    shell.run_cell("%%oci\nmake numbers, their total and mean, and print the mean plus the offset")
    said = capsys.readouterr().out
    assert (
        "oci · tip: the last code failed at line 5 of 5, after 4 of its 5 statements ran: %%oci --plan"
        in said
    )


@pytest.mark.parametrize(
    "codes",
    [
        [LONG.replace("offset", "0")],  # passed
        ["print(offset)\n" + LONG] * 3,  # fails at its start: nothing of it ran
        ["x = offset"] * 3,  # one statement
    ],
)
def test_no_plan_is_suggested_for_a_run_that_passed_or_failed_early_or_is_short(
    shell, scripted, capsys, codes
):
    scripted([reply(code + "\n" * i) for i, code in enumerate(codes)] + [reply("x = 1")] * 3)
    shell.run_cell("%%oci\nsomething")
    assert "tip:" not in capsys.readouterr().out


def test_a_check_line_is_the_whole_requests_and_runs_after_the_last_step_only(shell, scripted):
    scripted([PLAN, reply("nums = list(range(1, 6))"), reply("total = sum(nums)"), reply("print(total)")])
    shell.run_cell('%%oci --plan --check "assert total == 15"\nmake the numbers, total them and print it')
    plan = shell.user_ns["_oci"]
    assert plan.status == records.PASSED
    assert [run.settings["check"] for run in plan.runs] == [None, None, "assert total == 15"]
    # Only the check verifies: the plan says passed because of it, and only the checked step is marked ✓.
    assert plan.verdict == "verified"
    assert plan.summary().startswith("passed: 3 of 3 steps, your check `assert total == 15` passed")
    from oci_magic.views.plan import step_lines

    assert [step_lines(step)[0][0] for step in plan.steps] == ["○", "○", "✓"]


class Interrupting(Backend):
    """A backend interrupted (Ctrl-C) while it writes its first reply."""

    name = "interrupting"

    def stream_chat(self, messages, **options):
        yield "1. Load"
        raise KeyboardInterrupt


def test_an_interrupt_or_a_failing_backend_while_planning_runs_nothing_and_loses_nothing(shell, capsys):
    from oci_magic import set_backend

    shell.run_cell("x = 1")
    try:
        set_backend(Interrupting())
        shell.run_cell("%%oci --plan\nload and plot")
        plan = shell.user_ns["_oci"]
        assert plan.status == records.INTERRUPTED and plan.steps == [] and plan.runs == []
        assert "interrupted while the model wrote the plan; nothing ran" in capsys.readouterr().out
        assert shell.oci_magics.conversation.turns == 0  # the plan's turn left with it
        assert "has no steps" in usage_error(shell, "%oci plan continue")
    finally:
        set_backend(None)


def test_a_backend_that_fails_while_planning_is_said(shell, scripted, capsys):
    scripted([])  # no reply at all: the backend raises
    shell.run_cell("%%oci --plan\nload and plot")
    plan = shell.user_ns["_oci"]
    assert (
        plan.status == records.ERROR and "the model could not write the plan: ScriptedBackend" in plan.message
    )
    assert "the model could not write the plan" in capsys.readouterr().out and plan.runs == []
