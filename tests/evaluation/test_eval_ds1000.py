"""`oci-magic eval ds1000`'s mechanics, on problems of our own in DS-1000's format (ds1000_like.py), so
that they run anywhere: reading a problem file, the notebook situation of a problem, judging answers with the
problem's own test program, which problems can run here and why not, the seeded stratified sample, the
report, the self-check, and a problem end to end through real %%oci in a real kernel. The same on DS-1000's
real problems: test_ds1000_real.py (where a copy is given)."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest
from ds1000_like import ROWS, write_problems

from oci_magic.evaluation import ds1000
from oci_magic.evaluation.ds1000 import judge, load_problems, select_problems, stratified_order
from oci_magic.evaluation.ds1000_report import ds1000_table, self_check_table, write_ds1000_outputs
from oci_magic.evaluation.ds1000_run import FixedReplies, Reason, Unusable, self_check, solve_problem, usable
from oci_magic.evaluation.notebook import NotebookSettings

ORDERS, SENSORS, RUNS, RAIN, STALE, FILE_INPUT, TENSORS, EMPTY_PASSES = range(8)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_problems(tmp_path_factory.mktemp("ds1000") / "test.jsonl.gz")


@pytest.fixture(scope="module")
def problems(data):
    return {problem.id: problem for problem in load_problems(data)}


def test_a_problem_file_is_read_as_ds1000_writes_it(data, tmp_path, problems):
    assert sorted(problems) == list(range(len(ROWS)))
    orders = problems[ORDERS]
    assert (orders.library, orders.perturbation) == ("Pandas", "Origin")
    assert orders.reference == ROWS[ORDERS]["reference_code"]
    plain = write_problems(tmp_path / "test.jsonl")  # uncompressed, as the dataset ships it
    assert load_problems(plain) == list(problems.values())
    with pytest.raises(FileNotFoundError, match="no DS-1000 file at"):
        load_problems(tmp_path / "none.jsonl")


def test_the_test_programs_judge_right_empty_and_wrong_answers(problems):
    orders = problems[ORDERS]
    assert judge(orders, orders.reference_cell).passed
    empty = judge(orders, "")
    assert not empty.passed and empty.reason == "KeyError: 'result'"
    assert not judge(orders, "result = orders.groupby('item')['qty'].sum()").passed
    # Right numbers by a loop: the problem's string test (asked: without a loop) rejects it.
    loop = (
        "totals = {}\nfor _, row in orders.iterrows():\n"
        "    totals[row['item']] = totals.get(row['item'], 0) + row['qty'] * row['price']\n"
        "result = pd.Series(totals, name='total').sort_values(ascending=False).rename_axis('item')"
    )
    looped = judge(orders, loop)
    assert not looped.passed and looped.reason.startswith("AssertionError")
    without_string_test = orders.code_context.partition("\n\ndef test_string(")[0]
    assert judge(dataclasses.replace(orders, code_context=without_string_test), loop).passed
    function = problems[SENSORS]  # the answer is the body of f(df): the cell defines f itself
    assert function.function_header == "def f(df):" and function.reference_cell.startswith("def f(df):\n")
    assert judge(function, function.reference_cell).passed
    assert not judge(function, "def f(df):\n    return df").passed
    plot = problems[RAIN]  # a plot, judged from the figure
    assert judge(plot, plot.reference_cell).passed and not judge(plot, "plt.plot(days, rain)").passed
    assert judge(plot, plot.reference_cell + "plt.show()\n").passed  # the test drops plt.show()


def test_a_test_that_runs_over_its_time_is_named(problems):
    spin = judge(problems[ORDERS], "while True: pass", timeout=3)
    assert not spin.passed and spin.reason == "the test program ran over 3 s"


def test_the_notebook_situation_of_a_problem(problems, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the plot's test program draws its expected figure into ans.png
    orders = problems[ORDERS]
    namespace: dict = {}
    exec(orders.setup, namespace)  # the inputs under the names the question uses, nothing of the test
    assert list(namespace["orders"]["qty"]) == [3, 1, 10, 2, 5]
    assert "test_input" not in namespace and "generate_test_case" not in namespace
    assert orders.request.endswith("How do I do this without a loop?\n\nPut the answer in `result`.")
    assert "<code>" not in orders.request and "pd.DataFrame(" not in orders.request
    function = problems[SENSORS]
    namespace = {}
    exec(function.setup, namespace)  # the function's argument, bound as the test binds it
    assert list(namespace["df"]["sensor"]) == ["a", "a", "b", "b", "a"] and "f" not in namespace
    assert function.request.endswith("Write the function `f(df)`, which returns the answer.")
    starts = problems[RUNS]  # a function whose first lines the test writes: they are shown
    assert starts.function_header == "def f(a):"
    assert "def f(a):\n    limit = 10\n```" in starts.request
    assert starts.reference_cell.startswith("def f(a):\n    limit = 10\n    above = ")
    assert judge(starts, starts.reference_cell).passed
    plot = problems[RAIN]  # the plotting problems ask in comments under their code
    assert plot.request == 'draw rain against days as a bar chart\ngive it the title "Rain per day"'
    namespace = {}
    exec(plot.setup, namespace)
    assert list(namespace["rain"]) == [0.0, 2.5, 11.0, 4.0, 0.0, 0.5, 7.5]


def test_a_problem_that_cannot_run_here_is_named_with_why(problems, monkeypatch):
    assert usable(problems[ORDERS]) is None and usable(problems[RAIN]) is None
    stale = usable(problems[STALE])
    assert stale.reason is Reason.REFERENCE_FAILS and "append" in stale.detail
    assert str(stale) == f"its reference solution fails its test here: {stale.detail}"
    file_input = usable(problems[FILE_INPUT])
    assert file_input.reason is Reason.INPUTS_FAIL and file_input.detail.startswith("FileNotFoundError")
    assert usable(problems[EMPTY_PASSES]) == Unusable(Reason.EMPTY_PASSES)
    assert str(Unusable(Reason.EMPTY_PASSES)) == "an empty answer passes its test"
    # A library that is not installed (the name looked for, so that the test holds wherever it runs).
    monkeypatch.setitem(ds1000.IMPORTS, "Tensorflow", "tensorflow_nowhere")
    missing = usable(problems[TENSORS])
    assert missing == Unusable(Reason.MISSING_LIBRARY, "tensorflow_nowhere")
    assert str(missing) == "needs tensorflow_nowhere, which is not installed"


def _many(problems, shares: dict[tuple[str, str], int]) -> list:
    """Problems in strata of the given sizes, copies of ours under new ids."""
    made, base = [], problems[ORDERS]
    for (library, perturbation), count in shares.items():
        for _ in range(count):
            made.append(dataclasses.replace(base, id=len(made), library=library, perturbation=perturbation))
    return made


def test_a_seeded_sample_is_stratified_and_repeatable(problems):
    strata = {("Pandas", "Origin"): 120, ("Pandas", "Surface"): 60, ("Numpy", "Origin"): 80,
              ("Numpy", "Semantic"): 30, ("Matplotlib", "Origin"): 10}  # fmt: skip
    many = _many(problems, strata)
    chosen = select_problems(many, libs="pandas,numpy")
    assert len(chosen) == 290 and {p.library for p in chosen} == {"Pandas", "Numpy"}
    order = stratified_order(chosen, seed=3)
    assert sorted(p.id for p in order) == sorted(p.id for p in chosen)  # each problem once
    assert [p.id for p in order] == [p.id for p in stratified_order(chosen, seed=3)]
    assert [p.id for p in order] != [p.id for p in stratified_order(chosen, seed=4)]
    for size in (10, 29, 60, 145):  # each prefix keeps the strata's shares
        prefix = order[:size]
        for stratum, count in strata.items():
            if stratum[0] != "Matplotlib":
                share = sum(p.stratum == stratum for p in prefix)
                assert abs(share - size * count / 290) <= 1, (size, stratum, share)
    assert [p.id for p in select_problems(many, tasks="3-5,1,3")] == [3, 4, 5, 1]
    with pytest.raises(ValueError, match="no DS-1000 library 'pandsa'"):
        select_problems(chosen, libs="pandsa")
    with pytest.raises(ValueError, match="no such DS-1000 problem"):
        select_problems(chosen, tasks="600")
    with pytest.raises(ValueError, match="--tasks takes problem ids and ranges"):
        select_problems(chosen, tasks="3-x")


def _replying(reply: str) -> NotebookSettings:
    return NotebookSettings(kernel_setup=FixedReplies.kernel_setup(reply), timeout=60)


@pytest.mark.slow  # fresh kernels
def test_a_problem_end_to_end_through_real_oci(problems, tmp_path):
    orders = problems[ORDERS]
    right = solve_problem(orders, _replying(f"```python\n{orders.reference_cell}\n```"))
    assert right.solved_after == [True, True, True] and right.claimed_pass, right.reasons
    assert [r["status"] for r in right.rounds] == ["passed"]
    # Code that runs and answers wrongly (not sorted: right for the data shown, wrong for the test's second
    # case): the loop cannot know, the problem's test does.
    unsorted = "result = (orders['qty'] * orders['price']).groupby(orders['item']).sum().rename('total')"
    wrong = solve_problem(orders, _replying(f"```python\n{unsorted}\n```"))
    assert wrong.claimed_pass and wrong.solved_after == [False, False, False]
    # A reply that raises every round: no round passes, the test says why.
    failing = solve_problem(orders, _replying("```python\nresult = orders.loc[:, 'nope']\n```"))
    assert [r["status"] for r in failing.rounds][0] == "failed" and not failing.solved
    assert failing.reasons[0].startswith("KeyError")
    settings = NotebookSettings()
    paths = write_ds1000_outputs(tmp_path, [right, wrong, failing], settings, {"name": "m"}, duration=1.0)
    document = json.loads(paths["json"].read_text())
    assert [p["solved_after"][-1] for p in document["problems"]] == [True, False, False]
    assert document["false_passes"] == 1 and document["problems_run"] == 3
    table = ds1000_table([right, wrong, failing], settings, "m")
    assert "| single turn" in table and "said passed but wrong: 1" in table
    assert "| Pandas | 3 | 1 | 1 |" in table
    assert f"DS-1000 problem {ORDERS}" in paths["notebook"].read_text()  # the unsolved runs' cells


@pytest.mark.slow  # a fresh kernel for each problem
def test_the_self_check_runs_reference_solutions_through_real_oci(problems, monkeypatch):
    monkeypatch.setitem(ds1000.IMPORTS, "Tensorflow", "tensorflow_nowhere")
    report = self_check(list(problems.values()), NotebookSettings(), jobs=1)
    assert sorted(report["unusable"]) == [STALE, FILE_INPUT, TENSORS, EMPTY_PASSES]
    assert report["false_stops"] == [], self_check_table(report)
    table = self_check_table(report)
    assert table.startswith(f"DS-1000 self-check · {len(ROWS)} problems · 4 can run here")
    assert "cannot run (1): an empty answer passes its test" in table
    assert "cannot run (1): its reference solution fails its test here" in table  # grouped by reason
    assert "false stops: 0 of 4 reference solutions (0.0%)" in table
    assert FixedReplies("x").name == "reference solution"


@pytest.mark.slow
def test_the_self_check_command(data, tmp_path):
    command = [sys.executable, "-m", "oci_magic.evaluation.command", "ds1000", "--data", str(data)]
    done = subprocess.run(
        [*command, "--self-check", "--tasks", f"{ORDERS},{FILE_INPUT}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "DS-1000 self-check · 2 problems · 1 can run here" in done.stdout
    assert "false stops: 0 of 1 reference solutions (0.0%)" in done.stdout
    # $OCI_DS1000_DATA names the copy when --data is not given.
    environment = {**os.environ, "OCI_DS1000_DATA": str(data)}
    listed = subprocess.run(
        [*command[:4], "--self-check", "--tasks", str(EMPTY_PASSES)],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert "DS-1000 self-check · 1 problems · 0 can run here" in listed.stdout, listed.stderr
    bad = subprocess.run([*command, "--libs", "nope"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "no DS-1000 library 'nope'" in bad.stderr
    missing = subprocess.run(
        [*command[:4], "--data", str(tmp_path / "none.jsonl"), "--self-check"], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "no DS-1000 file at" in missing.stderr
