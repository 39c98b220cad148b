"""A run's checkpoint: what the namespace held before the run's code ran, and enough to put it back.

Taken in two parts. When the run starts, a reference to every object the namespace holds (a dict of
references: microseconds, whatever the data's size), which is all that rebinding or deleting a name needs.
Before each piece of code runs, a copy of each object that code may change in place (touches.py finds them
from the code), within a memory budget: an object over it is not copied, and the user is told before the code
runs. After each piece of code, which object each name is left bound to (ids, not references: the
checkpoint must not keep alive what the run made).

`undo()` then deletes what the run created, rebinds what it rebound or deleted, and puts back the contents
of what it changed in place, but only for names nobody has touched since the run; the rest is left as it
is, and said.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oci_magic.notebook.changes import fingerprint
from oci_magic.undo.sizes import human, size_of
from oci_magic.undo.touches import Effect, can_change_in_place, touches

__all__ = ["Checkpoint", "UndoReport", "UndoState", "OPEN", "UNDONE", "KEPT"]


class UndoState(StrEnum):
    """Where a run's way back stands. A StrEnum: equal to its text, and sent to the sidebar as it."""

    OPEN = "open"  # the run can be undone
    UNDONE = "undone"
    KEPT = "kept"  # kept: its copies are let go, it can no longer be undone
    NONE = ""  # no way back: the run ran with undo off, or ran nothing


OPEN, UNDONE, KEPT = UndoState.OPEN, UndoState.UNDONE, UndoState.KEPT

# IPython's own names (In, Out, _, _i3, _5 ...) and the run's record: never the run's doing.
_NOT_THE_RUNS = re.compile(r"__\w+__|_+|_i+\d*|_\d+|_[oi]h|_dh|In|Out|exit|quit|get_ipython|_oci")


def _users(name: str) -> bool:
    return not _NOT_THE_RUNS.fullmatch(name)


@dataclass
class _Copy:
    """An object as it was before code changed it in place."""

    original: Any
    copy: Any
    size: int
    why: str  # where the code may change it


@dataclass
class UndoReport:
    """What an undo did, name by name, and what it could not do."""

    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_restored: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # changed since the run: left as the user has it
    outside: list[Effect] = field(default_factory=list)

    def lines(self) -> list[str]:
        rows = [
            ("restored", self.restored),
            ("removed", self.removed),
            ("not restored", self.not_restored),
            ("left as it is (changed since the run)", self.left),
        ]
        text = [f"  {label}: {'; '.join(items)}" for label, items in rows if items]
        if self.outside:
            text.append("  cannot be undone (outside the kernel's variables):")
            text.extend(f"    - {item}" for item in self.outside)
        return text or ["  the run changed no variable"]


class Checkpoint:
    """One run's way back. `budget`: bytes the copies of this run may take (None: no limit; 0: no copies)."""

    def __init__(self, namespace: dict[str, Any], budget: int | None = None) -> None:
        #: References to what the namespace held: all of them while the run runs; after it (`close`), only
        #: those the run rebound or deleted, so that the checkpoint keeps alive nothing the user still has.
        self.before = {name: value for name, value in namespace.items() if _users(name)}
        self._ids = {name: id(value) for name, value in self.before.items()}
        self._before_ids = set(self._ids.values())
        # Cheap looks (type, shape, columns, length): an in-place change nobody foresaw still shows.
        self._looks = {name: fingerprint(value) for name, value in self.before.items()}
        self.after: dict[str, int] = dict(self._ids)
        self.copies: dict[int, _Copy] = {}  # by the original object's id
        self.not_copied: dict[str, str] = {}  # name -> why its in-place changes cannot be taken back
        self.outside: list[Effect] = []
        self.budget = budget
        self.state = OPEN

    @property
    def held(self) -> int:
        """Bytes the copies take (estimated before copying)."""
        return sum(kept.size for kept in self.copies.values())

    def before_code(self, code: str, namespace: dict[str, Any]) -> list[str]:
        """Copy what `code` may change in place of what the run found, within the budget. Returns what undo
        will not be able to take back, said before the code runs."""
        if self.state != OPEN:
            return []
        found = touches(code, namespace)
        self.outside.extend(item for item in found.outside if item not in self.outside)
        warnings = []
        for name, where in found.in_place.items():
            problem = self._copy(name, namespace[name], where)
            if problem is not None:
                warnings.append(f"{name}: {problem}")
        return warnings

    def _copy(self, name: str, value: Any, where: str) -> str | None:
        if id(value) not in self._before_ids or id(value) in self.copies or name in self.not_copied:
            return None  # made by this run (undo deletes it), or already copied
        if not can_change_in_place(value):
            return None
        if type(value).__module__.split(".")[0] == "matplotlib":
            # A figure's parts point at each other and at the canvas: a copy would be a second figure, not a
            # way back. Said, not pretended.
            self.not_copied[name] = "a matplotlib figure object, not copied: its changes stay (plot it again)"
            return self.not_copied[name]
        device = _device(value)
        if device:
            self.not_copied[name] = f"lives on {device}, not copied; its changes in place stay"
            return self.not_copied[name]
        size = size_of(value)
        if self.budget is not None and self.held + size > self.budget:
            left = max(self.budget - self.held, 0)
            self.not_copied[name] = (
                f"{human(size)}, over the undo budget ({human(left)} of {human(self.budget)} left): "
                f"not copied, so its changes in place by {where} cannot be undone"
            )
            return self.not_copied[name]
        try:
            duplicate = copy.deepcopy(value)
        except Exception as exc:
            self.not_copied[name] = (
                f"cannot be copied ({type(exc).__name__}: {exc}); its changes in place stay"
            )
            return self.not_copied[name]
        self.copies[id(value)] = _Copy(value, duplicate, size, where)
        return None

    def after_code(self, namespace: dict[str, Any]) -> None:
        """Note which object each name is left bound to, by id."""
        if self.state == OPEN:
            self.after = {name: id(value) for name, value in namespace.items() if _users(name)}

    def kept_alive(self) -> int:
        """Bytes of the objects the run rebound or deleted, which only the checkpoint may now keep alive."""
        gone = {id(value): value for name, value in self.before.items() if self.after.get(name) != id(value)}
        gone = {key: value for key, value in gone.items() if key not in self.copies}
        return sum(size_of(value) for value in gone.values())

    def close(self) -> None:
        """The run has ended: let go of the objects it left bound to the same names (the namespace holds
        them, and undo finds them there by id)."""
        self.before = {
            name: value for name, value in self.before.items() if self.after.get(name) != id(value)
        }

    def undo(self, namespace: dict[str, Any]) -> UndoReport:
        """Put the namespace back as the run found it, where nobody has changed it since."""
        if self.state != OPEN:
            raise RuntimeError(f"this checkpoint was {self.state}")
        report = UndoReport(outside=list(self.outside))
        for name, left_id in self.after.items():
            if name in self._ids or name not in namespace:
                continue
            if id(namespace[name]) != left_id:
                report.left.append(name)
            else:
                del namespace[name]
                report.removed.append(name)
        restored = {key: _put_back(kept) for key, kept in self.copies.items()}
        for name, before_id in self._ids.items():
            left_id = self.after.get(name)
            now = namespace.get(name, _ABSENT)
            if (id(now) if now is not _ABSENT else None) != left_id:
                report.left.append(name)
                continue
            if left_id == before_id:  # the same object all along: changed in place, or not at all
                if before_id in self.copies:
                    if now is not restored[before_id]:
                        namespace[name] = restored[before_id]
                    report.restored.append(f"{name} (changed in place)")
                elif name in self.not_copied:
                    report.not_restored.append(f"{name}: {self.not_copied[name]}")
                elif fingerprint(now) != self._looks[name]:
                    report.not_restored.append(
                        f"{name}: its shape or length changed in place, in a way undo did not foresee from "
                        "the code (not copied), or by you since the run"
                    )
                continue
            old = self.before[name]
            namespace[name] = restored.get(id(old), old)
            what = "deleted" if left_id is None else "rebound"
            report.restored.append(f"{name} ({what} by the run)")
        self.release(UNDONE)
        return report

    def release(self, state: UndoState = KEPT) -> None:
        """Free what undo holds: after an undo, or when the user keeps the run."""
        self.before, self.copies, self.after, self._looks, self._ids = {}, {}, {}, {}, {}
        self._before_ids = set()
        self.state = state


_ABSENT = object()


def _put_back(kept: _Copy) -> Any:
    """The original's contents before the run, put back into the original object where its type allows
    (every reference to it sees them again), else the copy (bound to the names that held the original)."""
    original, duplicate = kept.original, kept.copy
    try:
        if isinstance(original, (list, bytearray)):
            original[:] = duplicate
        elif isinstance(original, (dict, set)):
            original.clear()
            original.update(duplicate)
        elif type(original).__module__ == "numpy" and getattr(original, "shape", None) == duplicate.shape:
            original[...] = duplicate
        elif type(original).__module__.split(".")[0] in ("pandas", "numpy"):
            return duplicate
        elif isinstance(getattr(original, "__dict__", None), dict) and not hasattr(
            type(original), "__slots__"
        ):
            original.__dict__.clear()
            original.__dict__.update(duplicate.__dict__)
        else:
            return duplicate
    except Exception:
        return duplicate
    return original


def _device(value: Any) -> str:
    """The accelerator a tensor or a model's parameters live on ('' when in memory): not copied."""
    device = getattr(value, "device", None)
    if device is None and hasattr(value, "parameters") and callable(value.parameters):
        try:
            device = next(iter(value.parameters())).device
        except Exception:
            return ""
    text = str(device) if device is not None else ""
    return f"a GPU ({text})" if text.startswith(("cuda", "mps", "xpu")) else ""
