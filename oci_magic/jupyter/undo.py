"""`%oci undo [N]` and `%oci keep [N]`, and the widget's and the sidebar's buttons: take runs back, newest
first, or keep them (freeing what undo holds). The namespace part is the run's checkpoint
(undo/checkpoint.py); the cells part goes through the JupyterLab extension, or is said when there is none.
"""

from __future__ import annotations

from typing import Any

from oci_magic.errors import UndoError
from oci_magic.jupyter import session
from oci_magic.jupyter.protocol import kernel_message
from oci_magic.loop.records import Run
from oci_magic.undo.checkpoint import KEPT, OPEN, UNDONE, UndoState
from oci_magic.undo.sizes import human

__all__ = ["take_back", "undo_runs", "keep_runs", "undo_state", "held_bytes", "held_line"]


def undo_state(run: Run) -> UndoState:
    """OPEN (can be undone), UNDONE, KEPT, or NONE (ran with undo off, or nothing ran)."""
    checkpoint = session.current().record(run).checkpoint
    return checkpoint.state if checkpoint is not None else UndoState.NONE


def held_bytes() -> int:
    """What undo holds now: copies, and the previous values of names the runs rebound or deleted."""
    return sum(
        checkpoint.held + checkpoint.kept_alive()
        for checkpoint in session.current().checkpoints()
        if checkpoint.state == OPEN
    )


def held_line() -> str:
    records = session.current().records
    open_runs = [run_id for run_id, r in records.items() if r.checkpoint and r.checkpoint.state == OPEN]
    if not open_runs:
        return "undo: nothing held (no run that can be undone)"
    runs = ", ".join(map(str, open_runs))
    return (
        f"undo: holds {human(held_bytes())} for run{'s' * (len(open_runs) > 1)} {runs} (%oci keep frees it)"
    )


def _target(number: int | None) -> Run:
    runs = session.current().runs
    if not runs:
        raise UndoError(
            "nothing to undo: no %%oci run in this kernel since it started "
            "(what undo holds does not outlive a kernel restart)"
        )
    if number is None:
        return runs[-1]
    for run in runs:
        if run.id == number:
            return run
    ids = ", ".join(str(run.id) for run in runs)
    raise UndoError(f"no run {number} in this kernel (its runs: {ids}; %oci history lists them)")


def take_back(action: str, number: int | None, namespace: dict[str, Any]) -> str:
    """`action` "undo" or "keep" on run `number` (the last when None), as `%oci undo N` / `%oci keep N`, the
    widget's and the sidebar's buttons all ask it: one at a time in this kernel, never during a run. What
    to tell the user; raises OciError (UndoError, RunInProgressError) when it cannot be done."""
    with session.one_run_at_a_time(f"{action} a run"):
        return "\n".join(undo_runs(number, namespace)) if action == "undo" else keep_runs(number)


def undo_runs(number: int | None, namespace: dict[str, Any]) -> list[str]:
    """Undo run `number` (the last run when None) and, first, every run after it, newest first. Returns the
    report's lines. Raises UndoError, before changing anything, when it cannot be done."""
    state = session.current()
    target = _target(number)
    later = [run for run in state.runs if run.id >= target.id]
    what = undo_state(target)
    if what == UNDONE:
        raise UndoError(f"run {target.id} was already undone")
    if what == KEPT:
        raise UndoError(f"run {target.id} was kept (Keep frees what undo holds): it cannot be undone")
    if what == UndoState.NONE:
        raise UndoError(
            f"run {target.id} ran with undo off (%config OciMagics.undo = True turns it on for later runs), "
            "or ran no code: there is nothing to take back"
        )
    for run in later:
        if undo_state(run) == KEPT:
            raise UndoError(
                f"run {run.id}, after run {target.id}, was kept: undo goes back run by run, newest first, "
                f"and a kept run cannot be undone, so run {target.id} cannot be either"
            )
    lines = []
    for run in reversed(later):
        checkpoint = state.record(run).checkpoint
        if checkpoint is None or checkpoint.state != OPEN:
            continue
        report = checkpoint.undo(namespace)
        lines.append(f"oci · undid run {run.id} ({_first_line(run.request)!r}):")
        lines.extend(report.lines())
        lines.extend(_remove_cells(run))
    return lines


def keep_runs(number: int | None) -> str:
    """Keep run `number` (the last when None) and every run before it: free what undo holds for them."""
    state = session.current()
    target = _target(number)
    kept, freed = [], 0
    for run in state.runs:
        checkpoint = state.record(run).checkpoint
        if run.id <= target.id and checkpoint is not None and checkpoint.state == OPEN:
            freed += checkpoint.held + checkpoint.kept_alive()
            checkpoint.release(KEPT)
            kept.append(run.id)
    if not kept:
        raise UndoError(f"run {target.id} holds nothing for undo (already kept or undone, or undo was off)")
    runs = ", ".join(map(str, kept))
    return f"oci · kept run{'s' * (len(kept) > 1)} {runs}: freed {human(freed)}; they can no longer be undone"


def _first_line(request: str) -> str:
    line = request.strip().splitlines()[0] if request.strip() else ""
    return line if len(line) <= 60 else line[:59] + "…"


def _remove_cells(run: Run) -> list[str]:
    """Ask the extension to remove the run's cells, or say which to delete by hand."""
    state = session.current()
    record = state.record(run)
    cells, how = record.cells, record.insertion
    record.cells, record.insertion = [], None
    if not cells:
        return []
    count = f"{len(cells)} cell{'s' * (len(cells) > 1)}"
    if how == session.Insertion.JUPYTERLAB and state.bridge.connected:
        payload = [{"round": c.metadata["oci_magic"]["round"], "source": c.source} for c in cells]
        state.bridge.send(kernel_message("remove_cells", run=run.id, cells=payload))
        return [
            f"  cells: JupyterLab removes the {count} the run inserted (it asks first about one you edited)"
        ]
    first = cells[-1].source.strip().splitlines()[0][:60] if cells[-1].source.strip() else ""
    return [
        f"  cells: delete by hand the {count} the run inserted (below its %%oci cell, starting {first!r}): "
        "without the JupyterLab extension oci-magic cannot remove cells"
    ]
