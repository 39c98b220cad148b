"""The memory undo may take for copies: a fraction of the memory free when a run starts ("25%"), or a fixed
size for all the runs that can still be undone ("2GB"); "0" copies nothing (rebinding is still undone)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Budget", "parse_budget"]

_UNITS = {"": 1, "B": 1, "KB": 2**10, "K": 2**10, "MB": 2**20, "M": 2**20, "GB": 2**30, "G": 2**30}
USAGE = "give a share of free memory ('25%') or a size ('500MB', '2GB'); '0' makes no copies"


@dataclass(frozen=True)
class Budget:
    fraction: float | None = None  # of the memory free when the run starts
    size: int | None = None  # bytes, for every run that can still be undone together

    def for_run(self, free: int | None, held: int) -> int | None:
        """Bytes this run's copies may take, given the memory free now and what earlier runs hold (None: no
        limit, when free memory cannot be read)."""
        if self.size is not None:
            return max(self.size - held, 0)
        return None if free is None else int(free * (self.fraction or 0.0))

    def __str__(self) -> str:
        return (
            f"{self.fraction * 100:g}% of free memory"
            if self.fraction is not None
            else f"{self.size:,} bytes"
        )


def parse_budget(text: str) -> Budget:
    """ "25%" or "500MB"; ValueError with how to write it otherwise."""
    cleaned = text.strip().upper().replace(" ", "")
    if match := re.fullmatch(r"(\d+(?:\.\d+)?)%", cleaned):
        fraction = float(match.group(1)) / 100
        if fraction > 1:
            raise ValueError(f"{text!r} is more than all free memory: {USAGE}")
        return Budget(fraction=fraction)
    if match := re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]?B?)", cleaned):
        return Budget(size=int(float(match.group(1)) * _UNITS[match.group(2)]))
    raise ValueError(f"{text!r} is not a memory budget: {USAGE}")
