"""`oci-magic eval notebook`: the suite's checks are sound, and the runner scores rounds as they happened, in
real kernels through real %%oci."""

import gc
import json
import re
import warnings
from pathlib import Path

import nbformat
import pytest

from oci_magic.evaluation.notebook import TASKS as ALL_TASKS
from oci_magic.evaluation.notebook import NotebookSettings, select_notebook_tasks, self_check, solve_task
from oci_magic.evaluation.notebook_report import notebook_table, write_notebook_outputs
from oci_magic.evaluation.notebook_tasks import PLAN_TASKS, TASKS

TESTS = Path(__file__).parents[1]


@pytest.mark.slow  # a fresh kernel for each task, twice
@pytest.mark.isolated  # in a process of its own: after the DS-1000 tests in one process it failed
def test_every_check_passes_its_reference_and_fails_on_nothing():
    assert len(TASKS) >= 30 and len({task.name for task in TASKS}) == len(TASKS)
    report = self_check(TASKS)
    assert report == {"tasks": len(TASKS), "problems": []}


@pytest.mark.slow  # a fresh kernel for each task and each step's check
def test_every_multi_step_task_has_sound_checks_for_the_whole_and_for_each_step():
    assert len(PLAN_TASKS) >= 12 and all(task.kind == "plan" for task in PLAN_TASKS)
    assert all(len(task.step_checks) >= 4 and len(task.requests) == 1 for task in PLAN_TASKS)
    assert {task.name for task in ALL_TASKS} == {task.name for task in TASKS + PLAN_TASKS}
    assert select_notebook_tasks("plan") == PLAN_TASKS
    report = self_check(PLAN_TASKS)
    assert report == {"tasks": len(PLAN_TASKS), "problems": []}


def _scripted(replies: list[str]) -> NotebookSettings:
    """Settings whose kernels answer with `replies` (the loop's logic; the models are measured for real)."""
    setup = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
        "import oci_magic\nfrom helpers import ScriptedBackend\n"
        f"oci_magic.set_backend(ScriptedBackend({replies!r}))"
    )
    return NotebookSettings(kernel_setup=setup, timeout=20)


def _block(code: str) -> str:
    return f"```python\n{code}\n```"


def test_code_that_never_ran_is_not_replayed_for_the_earlier_rounds():
    """A round refused for replacing the user's data (and its repeats) never touched the kernel: the replay
    that scores "solved after k rounds" leaves its code out too."""
    task = select_notebook_tasks("bar-chart-shown")[0]
    # Its own line would be left out and the rest run (test_loop); sharing one, it cannot be.
    invented = (
        "import matplotlib.pyplot as plt\n"
        "tickets = pd.DataFrame({'status': ['open', 'closed']}); counts = tickets['status'].value_counts()\n"
        "counts.plot(kind='bar')\nplt.show()"
    )
    result = solve_task(task, _scripted([_block(invented)] * 9))
    assert [r["status"] for r in result.runs[0]["rounds"]] == ["refused", "repeated", "repeated"]
    assert result.solved_after == [False, False, False], result.reasons


@pytest.mark.slow  # a fresh kernel for each task
def test_the_result_checks_let_every_reference_solution_pass_in_its_first_round():
    """The checks of a round that raised nothing (outcome.py, expectations.py) are read from the request's
    words: on every task of the suite, its right answer given as the model's reply passes at once."""
    stopped = []
    for task in ALL_TASKS:  # the multi-step requests too: one reply that does every step
        result = solve_task(task, _scripted([_block(code) for code in task.reference]))
        for run in result.runs:
            if [r["status"] for r in run["rounds"]] != ["passed"]:
                stopped.append((task.name, [r.get("shortfalls") or r.get("error") for r in run["rounds"]]))
    assert stopped == []


def test_a_repair_counts_from_the_round_that_made_it(tmp_path):
    task = select_notebook_tasks("semicolon-csv")[0]
    grouped = "region_totals = sales.groupby('region')['amount'].sum()"
    wrong = f"import pandas as pd\nsales = pd.read_csv('sales.csv')\n{grouped}"
    right = f"sales = pd.read_csv('sales.csv', sep=';')\n{grouped}"
    result = solve_task(task, _scripted([_block(wrong), _block(right)]))
    assert result.solved_after == [False, True, True], result.reasons
    assert result.reasons[0].startswith("NameError: name 'region_totals' is not defined")
    assert [r["status"] for r in result.runs[0]["rounds"]] == ["failed", "passed"]
    assert result.claimed_pass and result.generated_tokens > 0
    # The model saw the file before writing anything.
    assert "sales.csv: text, 799 bytes; separated by ';'" in result.runs[0]["rounds"][0]["prompt"]

    silent = solve_task(
        select_notebook_tasks("best-student")[0], _scripted([_block("best_student = 'ann'")])
    )  # runs, says passed, is wrong
    assert silent.solved_after == [False, False, False] and silent.claimed_pass
    settings = NotebookSettings()
    table = notebook_table([result, silent], settings, "scripted")
    assert "| single turn                          |    0.0 |      0 |" in table
    assert "| + execution feedback (2 rounds)      |   50.0 |      1 |" in table
    assert "repaired after round 1: 1 · said passed but failed the check: 1" in table
    paths = write_notebook_outputs(tmp_path, [result, silent], settings, {"name": "scripted"}, duration=1.0)
    document = json.loads(paths["json"].read_text())
    assert document["repaired"] == 1 and document["false_passes"] == 1
    assert document["tasks"][1]["check_reasons"][-1].startswith("AssertionError: ann")
    failed = nbformat.read(paths["notebook"], as_version=4)
    assert any("best_student = 'ann'" in cell.source for cell in failed.cells)
    assert not any("semicolon" in cell.source for cell in failed.cells)  # solved tasks are not in it


def test_a_multi_step_task_runs_as_one_oci_and_as_a_plan_and_counts_its_steps():
    task = select_notebook_tasks("plan-duplicate-orders")[0]
    whole = solve_task(task, _scripted([_block(task.reference[0])]))
    assert whole.mode == "oci" and whole.solved and whole.steps_passed == [True] * 5
    plan = (
        "1. Load orders.csv into `orders` without duplicates\n2. Total per product\n3. Plot and pick the top"
    )
    steps = [
        "import pandas as pd\norders = pd.read_csv('orders.csv').drop_duplicates()",
        "per_product = orders.groupby('product')['quantity'].sum()",
        "per_product.plot.bar()\ntop_product = per_product.idxmin()",  # the plot, and a wrong conclusion
    ]
    planned = solve_task(task, _scripted([plan, *map(_block, steps)]), plan=True)
    assert planned.mode == "plan" and not planned.solved
    assert planned.steps_passed == [True, True, True, True, False], planned.reasons
    assert planned.plan["status"] == "passed" and len(planned.plan["steps"]) == 3
    assert [run["status"] for run in planned.runs] == ["passed"] * 3 and planned.claimed_pass
    table = notebook_table([whole, planned], NotebookSettings(), "scripted")
    assert table.startswith("multi-step tasks · scripted · 1 · one %%oci against %%oci --plan")
    assert re.search(r"\none %%oci +5/5 +1/1 ", table) and re.search(r"\n%%oci --plan +4/5 +0/1 ", table), (
        table
    )
    assert "plans read as a list of steps: 1 of 1" in table


def test_the_command_refuses_unknown_tasks(capsys):
    from oci_magic.cli import main

    assert main(["eval", "notebook", "--tasks", "no-such-task"]) == 2
    assert "no notebook task 'no-such-task'; the tasks are: semicolon-csv" in capsys.readouterr().err


def test_an_eval_kernel_caps_memory_and_a_dead_kernel_ends_its_cell_at_once(tmp_path):
    """Generated code that asks for more than half the machine's memory gets a MemoryError (not the
    system's out-of-memory killer); a kernel that dies ends its cell with that said, not at the timeout."""
    import os

    from oci_magic.evaluation.notebook import _DIED, _MEMORY_CAP, _Kernel

    kernel = _Kernel(tmp_path)
    try:
        assert kernel.run(_MEMORY_CAP).ok
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        # np.empty reserves without touching: were the cap missing, nothing would be used up either.
        reply = kernel.run(f"import numpy as np\nhuge = np.empty({int(physical * 0.6) // 8}, dtype='f8')")
        assert reply.error.startswith("MemoryError"), reply.error
        assert kernel.run("x = 1\nprint(x)").stdout == "1\n"  # the kernel goes on
        reply = kernel.run("import os\nos._exit(1)", timeout=300)
        assert not reply.ok and reply.error == _DIED  # a wait for the timeout would say TimeoutError
        assert kernel.run("1").error == _DIED
    finally:
        kernel.close()


def test_a_kernel_used_from_a_worker_thread_leaves_no_event_loop_open(tmp_path):
    """Evals start kernels from thread pools; an event loop left open there surfaced much later, in
    another test, as an unraisable ResourceWarning (pytest turns warnings into errors)."""
    from concurrent.futures import ThreadPoolExecutor

    from oci_magic.evaluation.notebook import _Kernel

    def one() -> bool:
        kernel = _Kernel(tmp_path)
        try:
            return kernel.run("1 + 1").ok
        finally:
            kernel.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(one).result()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
