"""Candidates tried in forks of a real IPython kernel through %%oci --candidates: what a trial does stays in
the trial, only the chosen code runs for real, and code that would act outside the kernel is never tried."""

import os

import pandas as pd
import pytest

import oci_magic
from oci_magic.candidates.agreement import agree
from oci_magic.candidates.trial import run_trials

FENCE = "```"


def block(code: str) -> str:
    return f"Here is the code:\n{FENCE}python\n{code}\n{FENCE}"


@pytest.fixture
def user_data(shell):
    shell.run_cell(
        "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3], 'b': [4, 5, 6]})\nitems = [1]\nx = 5"
    )
    return shell


def test_trials_leave_the_namespace_and_the_output_alone(user_data, scripted, capsys):
    shell = user_data
    meddler = "df.pop('b')\nitems.append(2)\ndel x\nprint('meddled')\nresult = 1"
    scripted(
        [block(meddler), block("result = int(df['a'].sum())\nprint('sum', result)"), block("result = 6")]
    )
    shell.run_cell("%%oci --candidates 3\nput the sum of column a in `result`")
    run = oci_magic.last_run()
    round_ = run.rounds[0]
    assert [c.ran for c in round_.candidates] == [True, True, True]
    assert round_.chosen == 1 and round_.agreed and round_.agreement == "2 of 3 candidates agree"
    assert [c.group for c in round_.candidates] == [1, 0, 0]
    # Only the chosen code ran for real: the user's objects are as they were, its print alone reached
    # the cell.
    assert list(shell.user_ns["df"].columns) == ["a", "b"]
    assert shell.user_ns["items"] == [1] and shell.user_ns["x"] == 5 and shell.user_ns["result"] == 6
    out = capsys.readouterr().out
    assert "\nmeddled\n" not in out and "\nsum 6\n" in out
    assert round_.code == "result = int(df['a'].sum())\nprint('sum', result)" and round_.output == "sum 6\n"
    assert run.verdict == "agreed"
    # While the other candidates are written and tried, the view says so (once each, not per candidate).
    assert out.count("◇ writing candidate 2 of 3 …") == 1 and "writing candidate 3" not in out
    assert "◇ trying 3 candidates on a copy of your data …" in out
    assert "◇ 3 candidates tried on a copy of your data: 2 of 3 candidates agree · running candidate 2" in out
    assert "══ passed in round 1 of 3: 2 of 3 candidates agree" in out


def test_a_rebinding_candidate_does_not_rebind_for_real(user_data):
    trials = run_trials(
        user_data, ["df = df[df.a > 1]\nitems = []\nprint(len(df))", "df.loc[0, 'a'] = 99"], 30
    )
    assert all(trial.ok for trial in trials)
    assert trials[0].printed == "2\n" and sorted(trials[0].changed_names) == ["df", "items"]
    assert trials[1].changed_names == ["df"] and trials[1].values["name:df"].loc[0, "a"] == 99
    assert user_data.user_ns["df"]["a"].tolist() == [1, 2, 3] and user_data.user_ns["items"] == [1]


def test_a_candidate_that_deletes_a_file_is_never_tried(user_data, scripted, tmp_path, capsys):
    kept = tmp_path / "data.csv"
    kept.write_text("a\n1\n")
    user_data.user_ns["path"] = str(kept)
    deleting = "import os\nos.remove(path)\nresult = 1"
    scripted([block("result = 1"), block(deleting)])
    user_data.run_cell("%%oci --candidates 2\nset `result` to one")
    run = oci_magic.last_run()
    round_ = run.rounds[0]
    assert kept.exists()  # no trial ran the deletion; the greedy code, which ran, leaves the file alone
    assert round_.candidates == [] and "changes files" in round_.single and "os.remove(path)" in round_.single
    assert run.verdict == "unverified"
    out = capsys.readouterr().out
    assert "◇ one candidate: a candidate changes files" in out
    assert "ran without error in round 1 of 3, unverified: one candidate (a candidate changes files" in out


def test_an_input_a_fork_cannot_be_given_means_one_candidate(user_data, scripted):
    user_data.run_cell("rows = iter([1, 2, 3])")
    scripted([block("result = next(rows)"), block("result = sum(rows)")])
    user_data.run_cell("%%oci --candidates 2\nset `result` from rows")
    round_ = oci_magic.last_run().rounds[0]
    assert (
        round_.single
        == "`rows` is an iterator (a trial would use up its items), which a trial cannot be given"
    )
    assert user_data.user_ns["result"] == 1 and list(user_data.user_ns["rows"]) == [2, 3]


def test_a_trial_past_the_time_limit_is_killed(user_data, scripted):
    scripted([block("result = 2"), block("import time\nwhile True:\n    time.sleep(0.1)")])
    user_data.run_cell("%%oci --candidates 2 --timeout 2\nset `result` to two")
    run = oci_magic.last_run()
    round_ = run.rounds[0]
    assert round_.candidates[1].error == "timed out after 2 s" and round_.trials_seconds < 10
    assert round_.agreement == "1 of 2 candidates ran in its trial" and run.verdict == "disagreed"
    assert (
        "ran without error in round 1 of 3, unverified: 1 of 2 candidates ran in its trial" in run.summary()
    )


def test_a_check_verifies_and_says_so(shell, scripted):
    scripted([block("total = 10")])
    shell.run_cell("%%oci --check 'assert total == 10'\nset total")
    run = oci_magic.last_run()
    assert run.verdict == "verified"
    assert run.summary().startswith("passed in round 1 of 3: your check `assert total == 10` passed")
    scripted([block("total = 10")])
    shell.run_cell("%%oci\nset total")
    run = oci_magic.last_run()
    assert run.status == "passed" and run.verdict == "unverified"
    assert run.summary().startswith("ran without error in round 1 of 3, unverified: nothing checked it")


def test_one_candidate_asks_the_model_once(shell, scripted):
    backend = scripted([block("y = 1")])
    shell.run_cell("%%oci\nset y")
    assert len(backend.calls) == 1 and oci_magic.last_run().rounds[0].candidates == []


def test_the_candidates_are_sampled_with_their_own_seeds(user_data, scripted):
    backend = scripted([block("result = 6"), block("result = 6"), block("result = 6")])
    user_data.run_cell("%%oci --candidates 3\nput the sum of a in `result`")
    temperatures = [options["temperature"] for options in backend.options]
    seeds = [options.get("seed") for options in backend.options]
    assert temperatures == [0.0, 0.8, 0.8] and seeds[0] is None and len(set(seeds[1:])) == 2
    assert backend.calls[1] == backend.calls[0] == backend.calls[2]  # the same conversation
    assert oci_magic.last_run().rounds[0].agreement == "3 of 3 candidates agree"


def test_a_pandas_result_travels_back_from_the_fork(user_data):
    (trial,) = run_trials(user_data, ["summary = df.groupby('a').sum()"], 30)
    assert trial.ok and isinstance(trial.values["name:summary"], pd.DataFrame)
    assert trial.values["name:summary"].loc[1, "b"] == 4  # the same table, through the pipe


def test_the_transcript_and_history_carry_the_candidates(user_data, scripted, tmp_path, capsys):
    import nbformat

    scripted([block("result = 5"), block("result = 6"), block("result = 6.0")])
    user_data.run_cell("%%oci --candidates 3\nput the sum of a in `result`")
    user_data.run_line_magic("oci", f"save {tmp_path / 'run.ipynb'}")
    notebook = nbformat.read(tmp_path / "run.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert (
        "◇ 3 candidates tried on a copy of your data: 2 of 3 candidates agree · running candidate 2" in text
    )
    assert "*Candidate 1 (not run; group 2)*\n\n```python\nresult = 5\n```" in text
    assert "*Candidate 3 (not run; group 1)*" in text
    assert "**passed in round 1 of 3: 2 of 3 candidates agree" in text
    capsys.readouterr()
    user_data.run_line_magic("oci", "history")
    assert "passed in round 1 of 3: 2 of 3 candidates agree" in capsys.readouterr().out


def _children() -> set[int]:
    """This process's child processes (Linux), as /proc lists them."""
    found = set()
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as handle:
            found.update(int(pid) for pid in handle.read().split())
    return found


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc to find the children")
def test_an_interrupt_ends_every_trial(user_data, sigint_raises):
    import signal
    import threading

    before = _children()
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        run_trials(user_data, ["while True:\n    pass", "import time\ntime.sleep(60)"], None)
    assert _children() == before  # killed and reaped: no trial left running, no zombie


def test_candidate_settings_are_checked(shell, capsys):
    from traitlets import TraitError

    magics = shell.oci_magics
    with pytest.raises(TraitError, match="candidates must be 1 or more, got 0"):
        magics.candidates = 0
    with pytest.raises(TraitError, match="candidate_temperature must be 0 or more"):
        magics.candidate_temperature = -0.5
    shell.run_cell("%%oci --candidates 0\nanything")
    assert "argument --candidates: must be 1 or more, got 0" in capsys.readouterr().err


def test_a_trial_using_openmp_after_the_kernel_did_does_not_hang(user_data):
    # The kernel's OpenMP pool (scikit-learn's here; llama.cpp's in a kernel that loaded a model) has no
    # threads in a fork: without one thread per pool in the trial, this trial waits until it is killed.
    user_data.run_cell(
        "import numpy as np\nfrom sklearn.cluster import KMeans\n"
        "points = np.random.RandomState(0).rand(20000, 8)\nKMeans(4, n_init=2, random_state=0).fit(points)"
    )
    (trial,) = run_trials(user_data, ["labels = KMeans(4, n_init=2, random_state=0).fit_predict(points)"], 30)
    assert trial.ok and trial.seconds < 20, trial.error


def test_a_name_the_code_could_change_in_place_but_did_not_is_no_change(user_data):
    # `result.append(items[0])` could append to what `items` holds (the analysis cannot tell aliases apart);
    # the trial compares `items` after the code ran, and only a real change counts.
    reading = "result = []\nfor i in range(len(items)):\n    result.append(items[i])"
    trials = run_trials(
        user_data, [reading, "result = list(items)", "items.append(2)\nresult = list(items)"], 30
    )
    assert [trial.changed_names for trial in trials] == [[], [], ["items"]]
    request = "copy the elements of items into `result`"
    assert agree(trials[0], trials[1], request) and not agree(trials[1], trials[2], request)


def test_a_function_the_request_names_is_called_on_the_notebook_data(user_data, scripted):
    one = "def f(df, columns=('b',)):\n    return df[df.a > 1][list(columns)]"
    two = "def f(df, columns=['b']):\n    kept = df.loc[df['a'] >= 2, columns]\n    return kept"
    other = "def f(df, columns=('b',)):\n    return df[df.a > 2][list(columns)]"
    raising = "def f(df, columns=('b',)):\n    return df[df.c > 1]"
    mutating = "def f(df, columns=('b',)):\n    df['a'] = 0\n    return df[df.a > 1][list(columns)]"
    scripted([block(one), block(two), block(other), block(raising), block(mutating)])
    user_data.run_cell(
        "%%oci --candidates 5\nWrite the function `f(df, columns)` that keeps the rows where a > 1"
    )
    round_ = oci_magic.last_run().rounds[0]
    assert [c.group for c in round_.candidates] == [0, 0, 1, None, 2]
    assert round_.agreement == "2 of 5 candidates agree" and round_.chosen == 0
    assert round_.candidates[3].error == "f() raised AttributeError: 'DataFrame' object has no attribute 'c'"
    assert "f(…) returned DataFrame 2×1" in round_.candidates[0].left
    # The calls happened in the trials: the user's table is as it was.
    assert user_data.user_ns["df"]["a"].tolist() == [1, 2, 3]


def test_a_function_is_called_only_with_what_the_notebook_has(user_data):
    codes = [
        "def g(table):\n    return 1",
        "def g(table):\n    return 2",
        "def helper(df):\n    raise ValueError",
    ]
    trials = run_trials(user_data, codes, 30, call=frozenset({"g", "df"}))
    assert all(trial.ok for trial in trials)  # no `table`: g is not called; helper is not named
    assert not any(key.startswith("call:") for trial in trials for key in trial.values)
    trials = run_trials(
        user_data, ["def h(x, *rest, scale=2, **options):\n    return x * scale"], 30, call=frozenset({"h"})
    )
    assert trials[0].values["call:h"] == 10


def test_a_candidate_is_tried_as_it_would_run_without_the_data_written_into_it(user_data, scripted):
    # The question's sample, written into the code, would be left out of the real run (the code runs on the
    # user's df): the trial runs the same code, so both candidates compute on the user's data and agree.
    copied = (
        "import pandas as pd\ndf = pd.DataFrame({'a': [10, 20], 'b': [1, 1]})\nresult = int(df['a'].sum())"
    )
    scripted([block(copied), block("result = int(df.a.sum())")])
    user_data.run_cell("%%oci --candidates 2\nput the sum of column a in `result`")
    round_ = oci_magic.last_run().rounds[0]
    assert round_.agreement == "2 of 2 candidates agree" and user_data.user_ns["result"] == 6
    assert round_.left_out and "# df = pd.DataFrame" in round_.code
    assert round_.candidates[0].code == copied  # the candidate as the model wrote it


def test_plots_agree_by_what_a_reader_reads_off_them(user_data):
    user_data.run_cell(
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nimport numpy as np"
    )
    plain = "plt.plot(df.a, df.b)"
    codes = [
        plain,
        plain + "\nplt.title('b over a')\nplt.xlabel('a')",  # free text: still the same plot
        "plt.figure()\nplt.plot(df['a'], df['b'])\nplt.show()",
        plain + "\nplt.tick_params(labeltop=True)",  # tick labels on top too
        "plt.plot(df.a, df.b, marker='o')",  # the points marked
        "plt.plot(df.a, df.b)\nplt.xticks(rotation=45)",
        "plt.plot(df.a, df.b * 1e7)",
        "plt.plot(df.a, df.b * 1e7)\nplt.ticklabel_format(style='plain', axis='y')",  # no scientific notation
        "im = plt.imshow(np.eye(3))",
        "im = plt.imshow(np.eye(3))\nplt.colorbar(im)",  # a colorbar restates the image's scale
    ]
    trials = run_trials(user_data, codes, 60)
    assert all(trial.ok for trial in trials), [trial.error for trial in trials]
    request = "plot b against a"
    assert agree(trials[0], trials[1], request) and agree(trials[0], trials[2], request)
    for other in (3, 4, 5):
        assert not agree(trials[0], trials[other], request), codes[other]
    assert not agree(trials[6], trials[7], request)
    assert agree(trials[8], trials[9], request)


def test_a_named_function_that_deletes_a_file_is_never_called_in_a_trial(user_data, scripted, tmp_path):
    # Calling a function runs its body: the analysis reads function bodies too, so none is tried (or called).
    kept = tmp_path / "data.csv"
    kept.write_text("a\n1\n")
    user_data.user_ns["path"] = str(kept)
    deleting = "import os\n\ndef f(path):\n    os.remove(path)\n    return 1"
    scripted([block("def f(path):\n    return 1"), block(deleting)])
    user_data.run_cell("%%oci --candidates 2\nWrite the function `f(path)`")
    round_ = oci_magic.last_run().rounds[0]
    assert kept.exists() and round_.candidates == [] and "changes files" in round_.single
