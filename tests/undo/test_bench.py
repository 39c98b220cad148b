"""The bench's undo figure: a run that changes a frame in place holds a copy of it; one that only reads it
holds nothing, with undo on; with undo off nothing is held either way."""

from oci_magic.bench import _row
from oci_magic.bench.undo import undo_figures, undo_rows


def test_only_in_place_changes_cost_a_copy(shell):
    figures = undo_figures(repeats=1, frame_bytes=4 * 2**20, shell=shell)
    in_place, reads = figures["in_place"], figures["reads"]
    assert in_place["on"]["held"] >= 4 * 2**20 and in_place["off"]["held"] == 0
    assert reads["on"]["held"] == 0 and reads["off"]["held"] == 0
    rows = undo_rows(figures, _row)
    assert rows[0].startswith("10 undo: a run that changes it in place") and "copies held 4.0 MiB" in rows[0]
    assert "copies held 0.0 MiB" in rows[1]
