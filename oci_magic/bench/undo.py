"""What undo costs a run: a run that changes a 100 MB DataFrame in place, with undo on and off (the copy's
time and memory), and a run that only reads it (no copy at all), through the kernel executor in an IPython
shell; then how long the undo itself takes. Each figure is the median of the repeats, on and off taking
turns, measured in one process."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

__all__ = ["undo_figures", "undo_rows"]

FRAME_BYTES = 100 * 2**20
SETUP = (
    "import numpy as np, pandas as pd\n"
    "frame = pd.DataFrame(np.random.default_rng(0).random(({rows}, 4)), columns=list('abcd'))"
)
CHANGES_IN_PLACE = "frame['a'] = frame['a'] * 2\nframe.loc[frame['b'] > 0.5, 'c'] = 0.0"
ONLY_READS = "total = frame['a'].sum()\nsummary = frame.describe()"


def _rss() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _one(shell: Any, code: str, undo: bool, frame_bytes: int) -> dict[str, float]:
    from oci_magic.executors.kernel import KernelExecutor
    from oci_magic.undo.checkpoint import Checkpoint

    names = set(shell.user_ns)  # the shell may be someone's: leave its namespace as found
    assert shell.run_cell(SETUP.format(rows=frame_bytes // 32)).success  # 4 float64 columns
    executor = KernelExecutor(shell, show_outputs=False)
    if undo:
        executor.checkpoint = Checkpoint(shell.user_ns, budget=None)
    rss = _rss()
    started = time.perf_counter()
    result = executor.run(code)
    seconds = time.perf_counter() - started
    if result.error is not None:
        raise RuntimeError(f"the bench's code failed: {result.error}")
    figures = {"seconds": seconds, "rss_added": float(_rss() - rss), "held": 0.0, "undo_seconds": 0.0}
    if undo:
        checkpoint = executor.checkpoint
        checkpoint.close()
        figures["held"] = float(checkpoint.held)
        started = time.perf_counter()
        checkpoint.undo(shell.user_ns)
        figures["undo_seconds"] = time.perf_counter() - started
    for name in set(shell.user_ns) - names:
        del shell.user_ns[name]
    return figures


def undo_figures(repeats: int = 3, frame_bytes: int = FRAME_BYTES, shell: Any = None) -> dict[str, Any]:
    """The figures, measured in `shell` (the process's IPython shell when None)."""
    if shell is None:
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
    figures: dict[str, Any] = {"frame_bytes": frame_bytes, "repeats": repeats}
    for label, code in (("in_place", CHANGES_IN_PLACE), ("reads", ONLY_READS)):
        samples: dict[bool, list[dict[str, float]]] = {True: [], False: []}
        for repeat in range(repeats):
            for undo in (True, False) if repeat % 2 == 0 else (False, True):
                samples[undo].append(_one(shell, code, undo, frame_bytes))
        figures[label] = {
            ("on" if undo else "off"): {key: statistics.median(s[key] for s in runs) for key in runs[0]}
            for undo, runs in samples.items()
        }
    return figures


def undo_rows(figures: dict[str, Any], row: Any) -> list[str]:
    """The bench report's rows: `row(label, figure, detail)` formats one."""
    mib = 2**20
    rows = []
    for label, title in (("in_place", "changes it in place"), ("reads", "only reads it")):
        on, off = figures[label]["on"], figures[label]["off"]
        rows.append(
            row(
                f"10 undo: a run that {title}",
                f"{on['seconds'] - off['seconds']:+.3f} s",
                f"{on['seconds']:.3f} s with undo, {off['seconds']:.3f} s without, on a "
                f"{figures['frame_bytes'] / mib:.0f} MiB DataFrame; copies held {on['held'] / mib:.1f} MiB, "
                f"memory added {on['rss_added'] / mib:.0f} vs {off['rss_added'] / mib:.0f} MiB; "
                f"undo itself {on['undo_seconds']:.3f} s (median of {figures['repeats']})",
            )
        )
    return rows
