"""Which candidates computed the same thing, and which one to run: the largest group of agreeing candidates
(execution-based consensus: programs sampled independently that behave alike are more often right than any
one of them).

Two candidates agree when what they produce that the request asks for is the same (values.py): the names of
the notebook they change, the new names the request mentions, what the functions the request names return
on the notebook's data (trial.py), their figures, and, where both show it,
what they print and the value of their last line. A candidate that changes a name of the notebook or draws
a figure the other does not, disagrees with it. Where neither produces any of these, the new names both
define are compared; where there are none, nothing can be compared and no two candidates agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from oci_magic.candidates.trial import Trial
from oci_magic.candidates.values import same, same_text

__all__ = ["Agreement", "agree", "group", "asks_for_order", "named"]

# A request that asks for an order: tables must then agree row by row, not only as sets of rows.
_ORDER_WORDS = re.compile(
    r"\b(sort|sorted|sorts|sorting|order|ordered|rank|ranked|ranking|top|bottom|largest|smallest|highest|"
    r"lowest|ascending|descending|reverse|reversed|first|last|earliest|latest|chronolog\w*)\b",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PRESENTED = ("printed", "last")  # what a candidate shows: compared where both show it


def named(request: str) -> frozenset[str]:
    """The identifiers the request mentions (`df`, `f`, `result`): the names whose values are its results."""
    return frozenset(_IDENTIFIER.findall(request))


def asks_for_order(request: str) -> bool:
    return bool(_ORDER_WORDS.search(request))


def _observed(trial: Trial, words: set[str]) -> dict:
    observed = {}
    if trial.printed.strip():
        observed["printed"] = trial.printed
    for key, value in trial.values.items():
        name = key.removeprefix("name:")
        if (
            key in ("last", "figures")
            or key.startswith("call:")
            or name in trial.changed_names
            or name in words
        ):
            observed[key] = value
    return observed


def agree(a: Trial, b: Trial, request: str) -> bool:
    """Whether two trials that ran computed the same result for `request`."""
    if not (a.ok and b.ok):
        return False
    words = named(request)
    seen_a, seen_b = _observed(a, words), _observed(b, words)
    if not seen_a and not seen_b:
        shared = [key for key in a.values if key.startswith("name:") and key in b.values]
        seen_a = {key: a.values[key] for key in shared}
        seen_b = {key: b.values[key] for key in shared}
    results_a = {key for key in seen_a if key not in _PRESENTED}
    results_b = {key for key in seen_b if key not in _PRESENTED}
    if results_a != results_b:
        return False
    compared = [key for key in seen_a if key in seen_b]
    if not compared:
        return False
    ordered = asks_for_order(request)
    for key in compared:
        if key == "printed":
            if not same_text(seen_a[key], seen_b[key]):
                return False
        elif not same(seen_a[key], seen_b[key], ordered=ordered):
            return False
    return True


@dataclass
class Agreement:
    """How the candidates of a round grouped: `groups` lists the indexes of the candidates whose trials ran,
    agreeing ones together, largest first; `chosen` is the candidate to run for real."""

    candidates: int  # how many candidates had code
    groups: list[list[int]] = field(default_factory=list)
    chosen: int = 0

    @property
    def agreeing(self) -> int:
        """How many candidates agree with the chosen one (itself included)."""
        return len(self.groups[0]) if self.groups else 0

    @property
    def agreed(self) -> bool:
        """At least two candidates agree, and no other group is as large."""
        if self.agreeing < 2:
            return False
        return len(self.groups) == 1 or len(self.groups[1]) < self.agreeing

    def words(self) -> str:
        """'3 of 4 candidates agree', 'the 4 candidates disagree', ..."""
        if self.agreed:
            return f"{self.agreeing} of {self.candidates} candidates agree"
        ran = sum(len(members) for members in self.groups)
        if ran == 0:
            return f"none of the {self.candidates} candidates ran in its trial"
        if ran == 1:
            return f"1 of {self.candidates} candidates ran in its trial"
        return f"the {self.candidates} candidates disagree"


def group(trials: list[Trial], request: str) -> Agreement:
    """Group the trials that ran by agreement and choose: the largest group, a tie going to the group of the
    first candidate (the greedy reply) or else the earliest; with no trial that ran, the first candidate."""
    groups: list[list[int]] = []
    for index, trial in enumerate(trials):
        if not trial.ok:
            continue
        for members in groups:
            if agree(trials[members[0]], trial, request):
                members.append(index)
                break
        else:
            groups.append([index])
    groups.sort(key=lambda members: (-len(members), members[0]))  # stable: ties keep the earliest first
    chosen = groups[0][0] if groups else 0
    return Agreement(candidates=len(trials), groups=groups, chosen=chosen)
