"""`oci-magic eval ds1000` on DS-1000's real problems (others' questions, data and test programs): their
test programs judge a reference right and an empty or wrong answer wrong, a problem that cannot run here is
named as such, the loop's checks let others' reference solutions pass, and a problem runs end to end through
real %%oci in a real kernel holding its inputs.

DS-1000 is not part of the repository: these tests run where a copy is given (`pytest --ds1000-data PATH`
or $OCI_DS1000_DATA; ds1000_data.py); the same mechanics are tested anywhere in test_eval_ds1000.py."""

import subprocess
import sys

import pytest

from oci_magic.evaluation.ds1000 import judge, load_problems, select_problems, stratified_order
from oci_magic.evaluation.ds1000_run import FixedReplies, Reason, self_check, solve_problem, usable
from oci_magic.evaluation.notebook import NotebookSettings

pytestmark = pytest.mark.ds1000


@pytest.fixture(scope="module")
def problems(ds1000_path):
    return {problem.id: problem for problem in load_problems(ds1000_path)}


def test_the_test_programs_judge_right_empty_and_wrong_answers(problems):
    shuffle = problems[0]  # result = df.iloc[List]
    assert judge(shuffle, shuffle.reference_cell).passed
    empty = judge(shuffle, "")
    assert not empty.passed and empty.reason == "KeyError: 'result'"
    assert not judge(shuffle, "result = df.iloc[:0]").passed  # no rows: wrong whatever the permutation
    function = problems[4]  # the answer is the body of f(df): the cell defines f itself
    assert function.function_header == "def f(df):" and function.reference_cell.startswith("def f(df):\n")
    assert judge(function, function.reference_cell).passed
    assert not judge(function, "def f(df):\n    return df").passed
    plot = problems[511]  # a plot, judged from the figure
    assert judge(plot, plot.reference_cell).passed and not judge(plot, "plt.plot(x, y)").passed


def test_the_notebook_situation_of_a_problem(problems):
    shuffle = problems[0]
    namespace: dict = {}
    exec(shuffle.setup, namespace)  # the inputs under the names the question uses, nothing of the test
    assert {"df", "List"} <= set(namespace) and "test_input" not in namespace
    assert "generate_test_case" not in namespace
    assert shuffle.request.endswith("Put the answer in `result`.") and "<code>" not in shuffle.request
    starts = problems[739]  # a function whose first lines the test writes: they are shown
    assert "def f(img):\n    threshold = 0.75\n```" in starts.request
    assert judge(starts, starts.reference_cell).passed


def test_a_problem_that_cannot_run_here_is_named_with_why(problems):
    assert usable(problems[0]) is None
    tensors, file_input = (usable(problems[i]) for i in (700, 909))
    assert tensors.reason in (Reason.MISSING_LIBRARY, Reason.REFERENCE_FAILS, Reason.INPUTS_FAIL)
    assert file_input.reason is Reason.INPUTS_FAIL and file_input.detail.startswith("FileNotFoundError")
    # A reference written for pandas 1.5 that fails its own test with the pandas installed here.
    stale = [i for i in (33, 40, 49, 61, 63, 64) if usable(problems[i]) is not None]
    assert stale, "expected some references written for pandas 1.5 to fail with the pandas installed here"
    assert usable(problems[stale[0]]).reason is Reason.REFERENCE_FAILS


def test_a_seeded_sample_is_stratified_and_repeatable(problems):
    chosen = select_problems(list(problems.values()), libs="pandas,numpy")
    order = stratified_order(chosen, seed=3)
    assert [p.id for p in order] == [p.id for p in stratified_order(chosen, seed=3)]
    assert [p.id for p in order] != [p.id for p in stratified_order(chosen, seed=4)]
    first = order[:60]
    share = sum(p.library == "Pandas" for p in first) / len(first)
    assert abs(share - 291 / 511) < 0.05  # each prefix keeps the strata's shares


def _replying(reply: str) -> NotebookSettings:
    return NotebookSettings(kernel_setup=FixedReplies.kernel_setup(reply), timeout=60)


@pytest.mark.slow  # fresh kernels
def test_a_problem_end_to_end_through_real_oci(problems):
    shuffle = problems[0]
    right = solve_problem(shuffle, _replying(f"```python\n{shuffle.reference_cell}\n```"))
    assert right.solved_after == [True, True, True] and right.claimed_pass, right.reasons
    assert [r["status"] for r in right.rounds] == ["passed"]
    # Code that runs and answers wrongly: the loop cannot know, DS-1000's test does.
    wrong = solve_problem(shuffle, _replying("```python\nresult = df.iloc[:0]\n```"))
    assert wrong.claimed_pass and wrong.solved_after == [False, False, False]
    # A reply that raises every round: no round passes, the test says why.
    failing = solve_problem(shuffle, _replying("```python\nresult = df.loc[List, 'nope']\n```"))
    assert [r["status"] for r in failing.rounds][0] == "failed" and not failing.solved


@pytest.mark.slow  # a fresh kernel for each problem
def test_reference_solutions_of_others_pass_their_first_round(problems):
    """Problems whose words stopped their right answers before: `value_counts` and `test_data` in the
    question (4), the user's own arrays written out again (466), a plot (511)."""
    report = self_check([problems[i] for i in (4, 466, 511)], NotebookSettings(), jobs=1)
    assert report["unusable"] == {} and report["false_stops"] == []
    assert FixedReplies("x").name == "reference solution"


@pytest.mark.slow
def test_the_self_check_command(ds1000_path):
    command = [sys.executable, "-m", "oci_magic.evaluation.command", "ds1000", "--data", str(ds1000_path)]
    done = subprocess.run(
        [*command, "--self-check", "--tasks", "0,700"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "DS-1000 self-check · 2 problems · 1 can run here" in done.stdout
    assert "false stops: 0 of 1 reference solutions (0.0%)" in done.stdout
