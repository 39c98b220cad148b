"""`%oci save`: runs written as a notebook with nbformat, readable without the widget."""

import nbformat
import pytest
from IPython.core.error import UsageError

FENCE = "```"


def block(code: str, prose: str) -> str:
    return f"{prose}\n{FENCE}python\n{code}\n{FENCE}\nThat should do it."


def test_save_writes_the_last_run_as_a_notebook(shell, scripted, tmp_path, capsys):
    scripted(
        [
            block("print('try')\nx = 1 / 0", "First attempt."),
            block("print('again')\nx = 2", "Fixed the division."),
        ]
    )
    shell.run_cell("%%oci\nset x")
    path = tmp_path / "run.ipynb"
    shell.run_line_magic("oci", f"save {path}")
    assert f"saved 1 run (2 rounds) to {path}" in capsys.readouterr().out
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds == ["markdown", "markdown", "code", "markdown", "code", "markdown"]
    request, said_1, code_1, said_2, code_2, summary = notebook.cells
    assert "> set x" in request.source
    assert "First attempt." in said_1.source and "That should do it." in said_1.source
    assert FENCE not in said_1.source  # the code is in the code cell, not repeated
    assert "✗ ZeroDivisionError" in said_1.source
    assert code_1.source == "print('try')\nx = 1 / 0"
    assert code_1.outputs[0] == {"output_type": "stream", "name": "stdout", "text": "try\n"}
    assert code_1.outputs[1].output_type == "error" and code_1.outputs[1].ename == "ZeroDivisionError"
    assert code_1.metadata["oci_magic"]["round"] == 1 and code_1.metadata["oci_magic"]["status"] == "failed"
    assert "Fixed the division." in said_2.source
    assert [o.output_type for o in code_2.outputs] == ["stream"]
    assert "ran without error in round 2 of 3" in summary.source


def test_save_all_keeps_every_run_and_never_overwrites_by_accident(shell, scripted, tmp_path):
    scripted([block("a = 1", "One."), block("b = 2", "Two.")])
    shell.run_cell("%%oci\nset a")
    shell.run_cell("%%oci\nset b")
    path = tmp_path / "all.ipynb"
    shell.run_line_magic("oci", f"save {path} --all")
    sources = [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    assert sources == ["a = 1", "b = 2"]
    with pytest.raises(UsageError, match="exists; add --force"):
        shell.run_line_magic("oci", f"save {path}")
    assert [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"] == sources
    shell.run_line_magic("oci", f"save {path} --force")
    assert [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"] == ["b = 2"]


@pytest.mark.parametrize(
    "line, message",
    [
        ("save", "usage: %oci save PATH.ipynb"),
        ("save notes.txt", "does not end in .ipynb"),
        ("save /no/such/folder/run.ipynb", "no folder /no/such/folder"),
    ],
)
def test_save_refuses_bad_paths_clearly(shell, scripted, line, message):
    scripted([block("a = 1", "One.")])
    shell.run_cell("%%oci\nset a")
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("oci", line)


def test_save_before_any_run_says_so(shell, tmp_path):
    with pytest.raises(UsageError, match="no runs to save yet"):
        shell.run_line_magic("oci", f"save {tmp_path / 'x.ipynb'}")
