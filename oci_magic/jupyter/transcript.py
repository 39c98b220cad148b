"""Runs written out as a notebook (`%oci save`): a run can be shared or reviewed without the widget.

Each run becomes: the request as markdown; per round, what the model said (markdown) and its code as a code
cell holding that round's outputs and error; then the run's summary. Code cells carry `oci_magic` metadata
(run id, round, model, status) so that tools can find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from oci_magic.loop.extract import prose
from oci_magic.loop.records import Round, Run
from oci_magic.views.describe import round_figures, round_outcome

__all__ = ["run_cells", "runs_notebook", "save_runs"]


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())


def _round_outputs(round_: Round) -> list:
    outputs = [new_output(**output) for output in round_.outputs]
    if round_.error is not None:
        outputs.append(
            new_output(
                "error",
                ename=round_.error.type,
                evalue=round_.error.message,
                traceback=round_.error.traceback.splitlines(),
            )
        )
    return outputs


def run_cells(run: Run) -> list:
    cells = [new_markdown_cell(f"### `%%oci` · {run.model}\n\n{_quoted(run.request)}")]
    for round_ in run.rounds:
        said = prose(round_.reply)
        figures = round_figures(round_)
        heading = f"**Round {round_.index}** · {round_outcome(round_, run)}"
        text = "\n\n".join(part for part in (heading, said, f"*{figures}*" if figures else "") if part)
        cells.append(new_markdown_cell(text))
        if round_.code is not None:
            cell = new_code_cell(round_.code, outputs=_round_outputs(round_))
            cell.metadata["oci_magic"] = {
                "run": run.id,
                "round": round_.index,
                "model": run.model,
                "status": round_.status,
            }
            cells.append(cell)
    message = f" — {run.message}" if run.message else ""
    cells.append(new_markdown_cell(f"**{run.summary()}{message}**"))
    return cells


def runs_notebook(runs: Sequence[Run]) -> nbformat.NotebookNode:
    notebook = new_notebook(
        cells=[cell for run in runs for cell in run_cells(run)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return notebook


def save_runs(runs: Sequence[Run], path: str | Path) -> Path:
    """Write `runs` to `path` (a new .ipynb file) and return where it went."""
    path = Path(path).expanduser()
    nbformat.write(runs_notebook(runs), path)
    return path
