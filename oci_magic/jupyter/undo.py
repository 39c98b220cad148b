"""`%oci undo [N]` and `%oci keep [N]`, and the widget's and the sidebar's buttons: take runs back, newest
first, or keep them (freeing what undo holds). The namespace part is the run's checkpoint
(undo/checkpoint.py); the cells part goes through the JupyterLab extension, or is said when there is none.
"""

from __future__ import annotations

from oci_magic.errors import UndoError
from oci_magic.jupyter.manager import Insertion, OciMagics
from oci_magic.jupyter.protocol import kernel_message
from oci_magic.jupyter.run_lock import one_run_at_a_time
from oci_magic.loop.records import Run
from oci_magic.undo.checkpoint import KEPT, OPEN, UNDONE, UndoState
from oci_magic.undo.sizes import human

__all__ = ["take_back", "undo_runs", "keep_runs", "undo_state", "held_bytes", "held_line"]


def undo_state(oci: OciMagics, run: Run) -> UndoState:
    """OPEN (can be undone), UNDONE, KEPT, or NONE (ran with undo off, or nothing ran)."""
    checkpoint = oci.record(run).checkpoint
    return checkpoint.state if checkpoint is not None else UndoState.NONE


def held_bytes(oci: OciMagics) -> int:
    """What undo holds now: copies, and the previous values of names the runs rebound or deleted."""
    open_checkpoints = [checkpoint for checkpoint in oci.checkpoints() if checkpoint.state == OPEN]
    return sum(checkpoint.held + checkpoint.kept_alive() for checkpoint in open_checkpoints)


def held_line(oci: OciMagics) -> str:
    open_runs = [run_id for run_id, r in oci.records.items() if r.checkpoint and r.checkpoint.state == OPEN]
    if not open_runs:
        return "undo: nothing held (no run that can be undone)"
    runs = ", ".join(map(str, open_runs))
    plural = "s" * (len(open_runs) > 1)
    return f"undo: holds {human(held_bytes(oci))} for run{plural} {runs} (%oci keep frees it)"


def _target(oci: OciMagics, number: int | None) -> Run:
    runs = oci.runs
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


def take_back(oci: OciMagics, action: str, number: int | None) -> str:
    """`action` "undo" or "keep" on run `number` (the last when None), as `%oci undo N` / `%oci keep N`, the
    widget's and the sidebar's buttons all ask it: one at a time in this kernel, never during a run. What
    to tell the user; raises OciError (UndoError, RunInProgressError) when it cannot be done."""
    with one_run_at_a_time(f"{action} a run"):
        return "\n".join(undo_runs(oci, number)) if action == "undo" else keep_runs(oci, number)


def undo_runs(oci: OciMagics, number: int | None) -> list[str]:
    """Undo run `number` (the last run when None) and, first, every run after it, newest first, in the
    kernel's namespace. Returns the report's lines. Raises UndoError, before changing anything, when it
    cannot be done."""
    target = _target(oci, number)
    later = [run for run in oci.runs if run.id >= target.id]
    what = undo_state(oci, target)
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
        if undo_state(oci, run) == KEPT:
            raise UndoError(
                f"run {run.id}, after run {target.id}, was kept: undo goes back run by run, newest first, "
                f"and a kept run cannot be undone, so run {target.id} cannot be either"
            )
    lines = []
    for run in reversed(later):
        checkpoint = oci.record(run).checkpoint
        if checkpoint is None or checkpoint.state != OPEN:
            continue
        report = checkpoint.undo(oci.user_ns)
        lines.append(f"oci · undid run {run.id} ({_first_line(run.request)!r}):")
        lines.extend(report.lines())
        lines.extend(_remove_cells(oci, run))
    return lines


def keep_runs(oci: OciMagics, number: int | None) -> str:
    """Keep run `number` (the last when None) and every run before it: free what undo holds for them."""
    target = _target(oci, number)
    kept, freed = [], 0
    for run in oci.runs:
        checkpoint = oci.record(run).checkpoint
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


def _remove_cells(oci: OciMagics, run: Run) -> list[str]:
    """Ask the extension to remove the run's cells, or say which to delete by hand."""
    record = oci.record(run)
    cells, how = record.cells, record.insertion
    record.cells, record.insertion = [], None
    if not cells:
        return []
    count = f"{len(cells)} cell{'s' * (len(cells) > 1)}"
    if how == Insertion.JUPYTERLAB and oci.bridge.connected:
        payload = [{"round": c.metadata["oci_magic"]["round"], "source": c.source} for c in cells]
        oci.bridge.send(kernel_message("remove_cells", run=run.id, cells=payload))
        return [
            f"  cells: JupyterLab removes the {count} the run inserted (it asks first about one you edited)"
        ]
    first = cells[-1].source.strip().splitlines()[0][:60] if cells[-1].source.strip() else ""
    return [
        f"  cells: delete by hand the {count} the run inserted (below its %%oci cell, starting {first!r}): "
        "without the JupyterLab extension oci-magic cannot remove cells"
    ]
