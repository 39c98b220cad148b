"""Notebooks executed by nbclient in a real ipykernel."""

import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def outputs_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def test_quickstart_runs_end_to_end_through_the_cli(tmp_path):
    executed = tmp_path / "quickstart.executed.ipynb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "oci_magic.cli",
            "run",
            str(ROOT / "examples" / "quickstart.ipynb"),
            "-o",
            str(executed),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "round 1 of 3" in done.stdout and f"written to {executed}" in done.stdout
    notebook = nbformat.read(executed, as_version=4)
    oci_cells = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("%%oci")]
    assert len(oci_cells) == 2
    for cell in oci_cells:
        text = outputs_text(cell)
        assert "oci · " in text and "── round 1 of" in text and "══ " in text
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code")


def test_a_failing_round_does_not_fail_the_cell_in_a_real_kernel():
    """The generated code's error is the loop's business: the %%oci cell itself succeeds, the kernel
    keeps the user's state, and the error is shown to the user."""
    setup = (
        "import oci_magic\n"
        "class Scripted:\n"
        "    name = 'scripted'\n"
        "    def __init__(self, replies): self.replies = replies\n"
        "    def stream_chat(self, messages, **options): yield self.replies.pop(0)\n"
        "oci_magic.set_backend(Scripted(['```python\\nresult = 1 / 0\\n```', "
        "'```python\\nresult = 42\\n```', '```python\\nimport time\\ntime.sleep(60)\\n```', "
        "'```python\\nimport matplotlib.pyplot as plt\\nplt.plot([1, 3, 2])\\nplt.show()\\n```']))\n"
        "kept = 'user state'"
    )
    notebook = new_notebook(
        cells=[
            new_code_cell("%load_ext oci_magic"),
            new_code_cell(setup),
            new_code_cell("%%oci\nset result"),
            new_code_cell("print(result, kept, _oci.status, [r.status for r in _oci.rounds])"),
            new_code_cell("%%oci --rounds 1 --timeout 1\nwait a minute"),
            new_code_cell("print(_oci.status, _oci.rounds[0].execution_time < 10)"),
            new_code_cell("%%oci --rounds 1\nplot a line"),
        ]
    )
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    assert outputs_text(notebook.cells[0]) == ""  # %load_ext prints nothing
    oci_outputs = notebook.cells[2].outputs
    assert any(o.output_type == "error" and o.ename == "ZeroDivisionError" for o in oci_outputs)
    assert "passed in round 2 of 3" in outputs_text(notebook.cells[2])
    assert outputs_text(notebook.cells[3]) == "42 user state passed ['failed', 'passed']\n"
    # the execution time limit works in the kernel too
    assert outputs_text(notebook.cells[5]) == "timeout True\n"
    # a plot made by generated code is displayed in the %%oci cell
    assert any("image/png" in o.get("data", {}) for o in notebook.cells[6].outputs)
