"""How many bytes a copy of an object would take, estimated before copying it: undo copies only within its
budget, so the size has to be known first. Exact where the library says (a DataFrame's deep memory usage,
an array's bytes), walked otherwise, and extrapolated past a number of items so that a list of ten million
numbers is not walked to its end."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["size_of", "human"]

WALKED_AT_MOST = 50_000  # items looked at; the rest are assumed to be like them


def human(n: int) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def size_of(value: Any) -> int:
    """Bytes a deep copy of `value` would take (an estimate: shared objects are counted once)."""
    return _Walk().size(value)


class _Walk:
    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.items = 0

    def size(self, value: Any) -> int:
        if id(value) in self.seen:
            return 0
        self.seen.add(id(value))
        self.items += 1
        library = _library_size(value)
        if library is not None:
            return library
        own = sys.getsizeof(value, 64)
        if isinstance(value, dict):
            return own + self._many([*value.keys(), *value.values()])
        if isinstance(value, (list, tuple, set, frozenset)):
            return own + self._many(list(value))
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict):
            return own + self.size(attributes)
        return own

    def _many(self, values: list[Any]) -> int:
        """The items' sizes: all of them, or the first ones' scaled up to their number."""
        room = max(WALKED_AT_MOST - self.items, 1)
        walked = values[:room]
        total = sum(self.size(item) for item in walked)
        if len(walked) < len(values):
            total = int(total * len(values) / max(len(walked), 1))
        return total


def _library_size(value: Any) -> int | None:
    module = type(value).__module__ or ""
    try:
        if module.startswith("pandas"):
            usage = value.memory_usage(deep=True)
            return int(usage.sum() if hasattr(usage, "sum") else usage)
        if module.startswith("numpy") and hasattr(value, "nbytes"):
            return int(value.nbytes)
    except Exception:  # an object of these libraries without memory_usage: walked like any other
        return None
    return None
