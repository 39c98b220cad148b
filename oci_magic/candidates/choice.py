"""The candidates of one round, tried and grouped: what the loop asks of this package.

Candidates whose code is the same up to layout and comments are tried once; each counts in its group, as
the model wrote it more than once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from oci_magic.candidates.agreement import Agreement, group, named
from oci_magic.candidates.trial import Trial

__all__ = ["Tried", "try_candidates"]


@dataclass
class Tried:
    trials: list[Trial]
    agreement: Agreement


def _layout_free(code: str) -> str:
    try:
        return ast.dump(ast.parse(code))
    except (SyntaxError, ValueError):
        return code


def try_candidates(executor: Any, codes: list[str], timeout: float | None, request: str) -> Tried | str:
    """Each code tried by the executor where it cannot change the user's data (`executor.try_codes`), and
    the agreement of what they computed; or, in words, why they were not tried (then one candidate runs)."""
    if len(codes) < 2:
        return "the other candidates had no new code"
    firsts: dict[str, str] = {}  # each distinct code, the first time it was written
    for code in codes:
        firsts.setdefault(_layout_free(code), code)
    tried = executor.try_codes(list(firsts.values()), timeout, call=named(request))
    if isinstance(tried, str):
        return tried
    by_key = dict(zip(firsts, tried, strict=True))
    trials = [by_key[_layout_free(code)] for code in codes]
    return Tried(trials, group(trials, request))
