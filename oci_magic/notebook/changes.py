"""What a piece of code defined or changed in the user's namespace, so that a run that "passed" shows what
it did: `region_totals: Series 4`, `sales: DataFrame 40×3 (changed)`. A silent wrong result shows at a
glance.

A snapshot keeps each name's object identity and a cheap fingerprint (type, shape, columns, length), never a
copy: taking one costs microseconds a name, whatever the data's size.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, NamedTuple

from oci_magic.notebook.summary import describe_value

__all__ = ["Defined", "Fingerprint", "changes", "fingerprint", "listed", "snapshot"]

SHOWN = 12  # names listed at most; the rest are counted


@dataclass(frozen=True)
class Defined:
    """A name a piece of code bound anew, or changed: rebound, or its shape or columns changed in place."""

    name: str
    description: str  # the first line of the value's description, as the namespace summary gives it
    changed: bool = False  # the name was there before

    def __str__(self) -> str:
        return f"{self.name}: {self.description}" + (" (changed)" if self.changed else "")


def listed(defined: list[Defined], *, names_only: bool = False) -> str:
    """What a round defined, as a line shows it: the first SHOWN (names, or names and descriptions), then
    how many more."""
    shown = [item.name if names_only else str(item) for item in defined[:SHOWN]]
    if len(defined) > SHOWN:
        shown.append(f"… and {len(defined) - SHOWN} more")
    return (", " if names_only else "; ").join(shown)


class Fingerprint(NamedTuple):
    """What a value looks like cheaply: equal fingerprints mean the code left the name alone."""

    identity: int
    kind: type
    shape: tuple | None
    columns: tuple[str, ...]  # a DataFrame's column names (the first 200), else ()
    length: int | None  # a list's, dict's, set's, tuple's or string's


def fingerprint(value: Any) -> Fingerprint:
    shape = getattr(value, "shape", None)
    columns = getattr(value, "columns", None)
    try:
        column_key = tuple(map(str, columns))[:200] if columns is not None and hasattr(value, "iloc") else ()
    except Exception:
        column_key = ()
    try:
        length = len(value) if isinstance(value, (list, dict, set, tuple, str, bytes)) else None
    except Exception:
        length = None
    shape = shape if isinstance(shape, tuple) else None
    return Fingerprint(id(value), type(value), shape, column_key, length)


def _watched(name: str, value: Any) -> bool:
    return not name.startswith("_") and not isinstance(value, types.ModuleType) and name not in ("In", "Out")


def snapshot(namespace: dict[str, Any]) -> dict[str, Fingerprint]:
    return {name: fingerprint(value) for name, value in list(namespace.items()) if _watched(name, value)}


def changes(before: dict[str, Fingerprint], namespace: dict[str, Any]) -> list[Defined]:
    """Each name the code bound anew or rebound, or whose shape or columns it changed in place."""
    found = []
    for name, value in list(namespace.items()):
        if not _watched(name, value):
            continue
        old = before.get(name)
        if old is not None and old == fingerprint(value):
            continue
        text = describe_value(value).split("\n", 1)[0]
        text = text if len(text) <= 90 else text[:89] + "…"
        found.append(Defined(name, text, changed=old is not None))
    return found
