"""The cells a run leaves in the notebook (`--cells final|all|none`) and the metadata they carry.

`final` is the code of the last round (the passing one when the run passed), `all` the code of every
round, `none` nothing. Code that is not known to work starts with a comment saying so, so that a cell
never passes for tested when it is not. The metadata (`oci_magic`: run, round, model, status) lets the
JupyterLab extension find the cells and never insert one twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oci_magic.loop import records
from oci_magic.loop.records import Round, Run
from oci_magic.views.describe import round_outcome

__all__ = ["CELL_MODES", "NewCell", "cells_for"]

CELL_MODES = ("final", "all", "none")


@dataclass
class NewCell:
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _first_line(request: str) -> str:
    return request.strip().splitlines()[0][:60] if request.strip() else ""


def _metadata(run: Run, round_: Round) -> dict[str, Any]:
    return {"oci_magic": {"run": run.id, "round": round_.index, "model": run.model, "status": round_.status}}


def cells_for(run: Run, mode: str) -> list[NewCell]:
    if mode not in CELL_MODES:
        raise ValueError(f"cells must be one of {', '.join(CELL_MODES)}, got {mode!r}")
    rounds = [round_ for round_ in run.rounds if round_.code is not None]
    if mode == "none" or not rounds:
        return []
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
