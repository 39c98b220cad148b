"""`%oci fix` repairs a cell that raised, through the same loop; `--cells` chooses what is inserted."""

import pytest
from IPython.core.error import UsageError

import oci_magic

FENCE = "```"


def block(code: str) -> str:
    return f"Here:\n{FENCE}python\n{code}\n{FENCE}"


@pytest.fixture
def inserted(shell, monkeypatch):
    payloads = []
    monkeypatch.setattr(shell, "set_next_input", lambda text, replace=False: payloads.append(text))
    return payloads


def test_fix_repairs_the_last_cell_that_raised(shell, scripted, inserted):
    backend = scripted([block("values = [1, 2, 3]\nmean = sum(values) / len(values)")])
    shell.run_cell("values = [1, 2, 3]\nmean = sum(values) / len(value)", store_history=True)
    failing = shell.execution_count - 1
    shell.run_cell("ok = 1", store_history=True)  # a later cell that worked does not hide the failure
    shell.run_line_magic("oci", "fix")
    run = oci_magic.last_run()
    assert run.status == "passed" and shell.user_ns["mean"] == 2
    request = backend.calls[0][-1]["content"]
    assert f"Fix the code of cell In[{failing}]; it raised NameError: name 'value' is not defined" in request
    assert "mean = sum(values) / len(value)" in request and "Traceback" in request
    assert inserted == ["values = [1, 2, 3]\nmean = sum(values) / len(values)"]


def test_fix_a_named_cell_with_flags(shell, scripted, inserted):
    backend = scripted([block("x = 1"), block("y = 2")])
    shell.run_cell("x = 1 / 0", store_history=True)
    first = shell.execution_count - 1
    shell.run_cell("y = undefined", store_history=True)
    shell.run_line_magic("oci", f"fix {first} --rounds 1 --no-context")
    assert "x = 1 / 0" in backend.calls[0][-1]["content"] and oci_magic.last_run().max_rounds == 1


def test_fix_says_what_it_needs(shell, scripted):
    with pytest.raises(UsageError, match="no cell has raised an error"):
        shell.run_line_magic("oci", "fix")
    shell.run_cell("fine = 1", store_history=True)
    with pytest.raises(UsageError, match=r"ran without an error"):
        shell.run_line_magic("oci", f"fix {shell.execution_count - 1}")
    with pytest.raises(UsageError, match=r"no cell In\[9999\]"):
        shell.run_line_magic("oci", "fix 9999")


def test_errors_inside_generated_code_are_not_cells_to_fix(shell, scripted):
    scripted([block("1 / 0"), block("ok = 1")])
    shell.run_cell("%%oci\nanything", store_history=True)
    assert shell.oci_magics.failed_cells == {}


def test_cells_all_marks_failed_rounds_and_none_inserts_nothing(shell, scripted, inserted, capsys):
    from oci_magic.jupyter.cells import cells_for

    scripted([block("a = 1 / 0"), block("a = 1"), block("b = 2")])
    shell.run_cell("%%oci --cells all\nset a")
    new_cells = cells_for(oci_magic.last_run(), "all")
    assert [c.source for c in new_cells] == [
        "# %%oci round 1 of 3 · ✗ ZeroDivisionError: division by zero\na = 1 / 0",
        "a = 1",
    ]
    assert [c.metadata["oci_magic"]["status"] for c in new_cells] == ["failed", "passed"]
    assert new_cells[0].metadata["oci_magic"]["round"] == 1
    assert inserted == ["a = 1"]  # without the JupyterLab extension only the last cell can go in
    assert "--cells all inserts every round's cell with the JupyterLab extension" in capsys.readouterr().out
    shell.run_line_magic("config", "OciMagics.cells = 'none'")
    shell.run_cell("%%oci\nset b")
    assert inserted == ["a = 1"]


def test_cells_flag_refuses_unknown_modes(shell, scripted):
    with pytest.raises(UsageError, match="invalid choice"):
        shell.run_cell("%%oci --cells some\nanything").raise_error()
