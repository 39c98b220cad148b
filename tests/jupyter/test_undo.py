"""`%oci undo` and `%oci keep` in a real IPython shell, runs answered by a scripted backend: what comes back,
what is said, the order of runs, the bad inputs, the widget's buttons and the fallback for cells."""

import re

import pytest
from IPython.core.error import UsageError
from traitlets import TraitError

FENCE = "```"


def reply(code: str) -> str:
    return f"Here:\n{FENCE}python\n{code}\n{FENCE}"


def usage_error(shell, cell: str) -> str:
    result = shell.run_cell(cell)
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    return str(result.error_in_exec)


def test_undo_takes_back_the_last_run_and_says_what_it_did(shell, scripted, capsys):
    shell.run_cell("import pandas as pd\nsales = pd.DataFrame({'m': [1, 2], 'v': [10.0, None]})\nx = 1")
    scripted([reply("sales['v'] = sales['v'].fillna(0)\nx = 2\nmonthly = sales.groupby('m').sum()")])
    shell.run_cell("%%oci\nclean the sales and total them by month")
    assert shell.user_ns["sales"]["v"].isna().sum() == 0 and "monthly" in shell.user_ns
    capsys.readouterr()
    assert shell.run_cell("%oci undo").success
    said = capsys.readouterr().out
    run_id = shell.oci_magics.runs[-1].id
    assert said.startswith(f"oci · undid run {run_id} ('clean the sales and total them by month'):")
    assert "restored: sales (changed in place); x (rebound by the run)" in said
    assert "removed: monthly" in said
    assert "delete by hand the 1 cell the run inserted" in said  # no JupyterLab extension here
    assert shell.user_ns["sales"]["v"].isna().sum() == 1 and shell.user_ns["x"] == 1
    assert "monthly" not in shell.user_ns
    assert "was already undone" in usage_error(shell, "%oci undo")


def test_undo_n_takes_back_the_later_runs_first(shell, scripted, capsys):
    shell.run_cell("log = []")
    scripted([reply("log.append('one')"), reply("log.append('two')"), reply("log.append('three')")])
    for request in ("one", "two", "three"):
        shell.run_cell(f"%%oci\nappend {request}")
    first, second, third = (run.id for run in shell.oci_magics.runs)
    assert shell.user_ns["log"] == ["one", "two", "three"]
    capsys.readouterr()
    shell.run_cell(f"%oci undo {second}")
    said = capsys.readouterr().out
    assert said.index(f"undid run {third}") < said.index(f"undid run {second}")
    assert shell.user_ns["log"] == ["one"]
    shell.run_cell("%oci status")
    assert re.search(rf"undo: holds \d+ B for run {first} \(%oci keep frees it\)", capsys.readouterr().out)


def test_keep_frees_what_undo_holds_and_forbids_undo_back_through_it(shell, scripted, capsys):
    shell.run_cell("import numpy as np\ndata = np.zeros(100_000)")
    scripted([reply("data[:] = 1"), reply("data[:] = 2")])
    shell.run_cell("%%oci\nset to one")
    shell.run_cell("%%oci\nset to two")
    first, second = (run.id for run in shell.oci_magics.runs)
    shell.run_cell("%oci status")
    assert "undo: holds 1.5 MB for runs" in capsys.readouterr().out
    shell.run_cell(f"%oci keep {first}")
    kept = f"oci · kept run {first}: freed 781.2 kB; they can no longer be undone\n"
    assert capsys.readouterr().out == kept
    assert "was kept" in usage_error(shell, f"%oci undo {first}")
    shell.run_cell(f"%oci keep {second}")
    assert f"run {second}, after run {first}, was kept" not in capsys.readouterr().out
    assert "holds nothing for undo" in usage_error(shell, f"%oci keep {second}")
    shell.run_cell("%oci status")
    assert "undo: nothing held" in capsys.readouterr().out
    assert shell.user_ns["data"][0] == 2  # keeping changes nothing


def test_undo_through_a_kept_later_run_is_refused_before_changing_anything(shell, scripted):
    shell.run_cell("items = []")
    scripted([reply("items.append(1)"), reply("items.append(2)")])
    shell.run_cell("%%oci\none")
    shell.run_cell("%%oci\ntwo")
    first, second = (run.id for run in shell.oci_magics.runs)
    shell.oci_magics.records[second].checkpoint.release("kept")  # as Keep on the later run alone would
    message = usage_error(shell, f"%oci undo {first}")
    assert message.startswith(f"run {second}, after run {first}, was kept")
    assert shell.user_ns["items"] == [1, 2]


@pytest.mark.parametrize(
    "cell, message",
    [
        ("%oci undo", "nothing to undo: no %%oci run in this kernel since it started"),
        ("%oci undo 99", "nothing to undo"),
        ("%oci undo last", "usage: %oci undo [N]"),
        ("%oci keep 1 2", "usage: %oci keep [N]"),
    ],
)
def test_bad_input_says_how_to_fix_it(shell, cell, message):
    assert message in usage_error(shell, cell)


def test_an_unknown_run_number_lists_the_runs(shell, scripted):
    scripted([reply("a = 1")])
    shell.run_cell("%%oci\nset a")
    run_id = shell.oci_magics.runs[-1].id
    assert usage_error(shell, "%oci undo 99999") == f"no run 99999 in this kernel (its runs: {run_id}; " + (
        "%oci history lists them)"
    )


def test_with_undo_off_nothing_is_held_and_undo_says_why(shell, scripted):
    shell.run_line_magic("config", "OciMagics.undo = False")
    scripted([reply("b = 1")])
    shell.run_cell("%%oci\nset b")
    assert shell.oci_magics.checkpoints() == []
    assert "ran with undo off" in usage_error(shell, "%oci undo")


def test_a_bad_budget_setting_is_refused_with_the_fix(shell):
    magics = shell.oci_magics
    with pytest.raises(TraitError, match=r"'lots' is not a memory budget: give a share of free memory"):
        magics.undo_budget = "lots"
    with pytest.raises(TraitError, match="more than all free memory"):
        magics.undo_budget = "150%"
    magics.undo_budget = "2GB"


def test_undo_from_the_code_of_a_run_is_refused(shell, scripted, capsys):
    scripted([reply("get_ipython().run_line_magic('oci', 'undo')")])
    shell.run_cell("%%oci\nundo yourself")
    run = shell.oci_magics.runs[-1]
    assert run.rounds[0].error is not None
    assert "the code it runs cannot undo a run" in run.rounds[0].error.message


def test_the_widget_offers_undo_and_keep(shell, scripted, widget_views):
    shell.run_cell("counts = {'a': 1}")
    scripted([reply("counts['b'] = 2"), reply("counts['c'] = 3")])
    shell.run_cell("%%oci\nadd b")
    shell.run_cell("%%oci\nadd c")
    first_view, second_view = widget_views
    assert first_view.undo.layout.display != "none" and not first_view.undo.disabled
    second_view.keep.click()
    assert second_view.undo.disabled and second_view.keep.disabled
    assert "oci · kept runs" in second_view.undo_note.value
    first_view.undo.click()  # run 1 came before a kept run: refused, nothing changed
    assert "was kept" in first_view.undo_note.value and shell.user_ns["counts"] == {"a": 1, "b": 2, "c": 3}


def test_the_widget_undo_button_restores(shell, scripted, widget_views):
    shell.run_cell("counts = {'a': 1}")
    scripted([reply("counts['b'] = 2\nnew_name = 1")])
    shell.run_cell("%%oci\nadd b")
    (view,) = widget_views
    view.undo.click()
    assert shell.user_ns["counts"] == {"a": 1} and "new_name" not in shell.user_ns
    assert "undid run" in view.undo_note.value and view.run_again.disabled
