"""Runs written out as a notebook (`%oci save`): a run can be shared or reviewed without the widget.

Each run becomes: the request as markdown; per round, what the model said (markdown) and its code as a code
cell holding that round's outputs and error; then the run's summary. A plan becomes its request and its
steps as planned, then each step's runs under the step's title, then how the plan ended. Code cells carry
`oci_magic` metadata (run id, round, model, status; plan and step) so that tools can find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from oci_magic.loop.extract import prose
from oci_magic.loop.records import Round, Run
from oci_magic.plan.records import Plan
from oci_magic.views.describe import candidates_note, round_figures, round_outcome

__all__ = ["run_cells", "plan_cells", "runs_notebook", "save_runs"]


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
    if run.step is not None:
        again = f" (attempt {run.step.attempt})" if run.step.attempt > 1 else ""
        heading = f"#### Step {run.step.index} of {run.step.count}: {run.step.title}{again} · run {run.id}"
    else:
        heading = f"### `%%oci` · {run.model}\n\n{_quoted(run.request)}"
    cells = [new_markdown_cell(heading)]
    for round_ in run.rounds:
        said = prose(round_.reply)
        figures = round_figures(round_)
        heading = f"**Round {round_.index}** · {round_outcome(round_, run)}"
        tried = candidates_note(round_)
        parts = (heading, tried, said, f"*{figures}*" if figures else "")
        cells.append(new_markdown_cell("\n\n".join(part for part in parts if part)))
        for number, candidate in enumerate(round_.candidates):
            if number == round_.chosen:
                continue
            how = f"group {candidate.group + 1}" if candidate.ran else f"its trial: {candidate.error}"
            cells.append(
                new_markdown_cell(
                    f"*Candidate {number + 1} (not run; {how})*\n\n```python\n{candidate.code}\n```"
                )
            )
        if round_.code is not None:
            cell = new_code_cell(round_.code, outputs=_round_outputs(round_))
            cell.metadata["oci_magic"] = {
                "run": run.id,
                "round": round_.index,
                "model": run.model,
                "status": round_.status,
            }
            if run.step is not None:
                cell.metadata["oci_magic"].update(plan=run.step.plan, step=run.step.index)
            cells.append(cell)
    message = f" — {run.message}" if run.message else ""
    cells.append(new_markdown_cell(f"**{run.summary()}{message}**"))
    return cells


def plan_cells(plan: Plan) -> list:
    steps = "\n".join(f"{step.index}. {step.title}" for step in plan.steps)
    said = f"\n\n*{plan.message}*" if plan.message else ""
    cells = [
        new_markdown_cell(f"### `%%oci --plan` · {plan.model}\n\n{_quoted(plan.request)}\n\n{steps}{said}")
    ]
    for run in plan.runs:
        cells += run_cells(run)
    cells.append(new_markdown_cell(f"**plan {plan.id} {plan.summary()}**"))
    return cells


def runs_notebook(records: Sequence[Run | Plan]) -> nbformat.NotebookNode:
    notebook = new_notebook(
        cells=[
            cell
            for record in records
            for cell in (plan_cells(record) if isinstance(record, Plan) else run_cells(record))
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return notebook


def save_runs(runs: Sequence[Run | Plan], path: str | Path) -> Path:
    """Write `runs` (and plans) to `path` (a new .ipynb file) and return where it went."""
    path = Path(path).expanduser()
    nbformat.write(runs_notebook(runs), path)
    return path
