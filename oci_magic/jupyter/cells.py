"""The cells a run leaves in the notebook (`--cells final|all|none`) and the metadata they carry.

`final` is the code of the last round (the passing one when the run passed), `all` the code of every
round, `none` nothing. Code that is not known to work starts with a comment saying so, so that a cell
never passes for tested when it is not. A plan's step (`run.step`) starts with a markdown cell holding its
title (round 0 in the metadata). The metadata (`oci_magic`: run, round, model, status) lets the
JupyterLab extension find the cells and never insert one twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oci_magic.loop import records
from oci_magic.loop.records import Round, Run
from oci_magic.views.describe import round_outcome

__all__ = ["CELL_MODES", "NewCell", "cells_for", "step_title_cell"]

CELL_MODES = ("final", "all", "none")


@dataclass
class NewCell:
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)
    cell_type: str = "code"  # or "markdown": a plan step's title


def _first_line(request: str) -> str:
    return request.strip().splitlines()[0][:60] if request.strip() else ""


def _metadata(run: Run, round_: Round | None) -> dict[str, Any]:
    mark: dict[str, Any] = {"run": run.id, "round": 0, "model": run.model, "status": run.status}
    if round_ is not None:
        mark.update(round=round_.index, status=round_.status)
    if run.step is not None:
        mark.update(plan=run.step.plan, step=run.step.index)
    return {"oci_magic": mark}


def step_title_cell(run: Run) -> NewCell:
    """The markdown cell above a plan step's code: "Step 2 of 4: title", and the step's details."""
    step = run.step
    assert step is not None
    again = f" (attempt {step.attempt})" if step.attempt > 1 else ""
    details = run.request.strip().splitlines()[1:]
    text = "\n".join([f"#### Step {step.index} of {step.count}: {step.title}{again}", *details])
    return NewCell(text, _metadata(run, None), "markdown")


def cells_for(run: Run, mode: str) -> list[NewCell]:
    if mode not in CELL_MODES:
        raise ValueError(f"cells must be one of {', '.join(CELL_MODES)}, got {mode!r}")
    rounds = [round_ for round_ in run.rounds if round_.code is not None]
    if mode == "none" or not rounds:
        return []
    title = [step_title_cell(run)] if run.step is not None else []
    return title + _code_cells(run, rounds, mode)


def _code_cells(run: Run, rounds: list[Round], mode: str) -> list[NewCell]:
    if mode == "final":
        final = rounds[-1]
        source = final.code
        if run.status != records.PASSED:
            source = f"# %%oci {run.summary()}: {_first_line(run.request)}\n{source}"
        return [NewCell(source, _metadata(run, final))]
    cells = []
    for round_ in rounds:
        source = round_.code
        if round_.status != records.PASSED:
            source = (
                f"# %%oci round {round_.index} of {run.max_rounds} · {round_outcome(round_, run)}\n{source}"
            )
        cells.append(NewCell(source, _metadata(run, round_)))
    return cells
