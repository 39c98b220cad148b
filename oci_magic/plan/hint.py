"""When to suggest `--plan` after a plain `%%oci` run: the run failed, its last code is several statements
long, and what failed is in its later part, after the first part ran. Such a request is several cells of
work, and a repair rewrites all of it each round; as a plan, the steps that worked stay done.

A suggestion, never a judgement: it shows only after a run that failed anyway, and changes nothing."""

from __future__ import annotations

import ast

from oci_magic.loop import records
from oci_magic.loop.records import Run

__all__ = ["plan_hint", "MIN_STATEMENTS"]

MIN_STATEMENTS = 4  # top-level statements: fewer is one cell of work, whatever the request says


def plan_hint(run: Run) -> str:
    """The suggestion for `run`, or "" when it does not fit (passed, short code, an early failure)."""
    if run.step is not None or run.status not in (records.FAILED, records.TIMEOUT):
        return ""
    last = next((r for r in reversed(run.rounds) if r.code is not None and r.executed), None)
    if last is None or last.error is None or last.error.line is None:
        return ""
    try:
        statements = ast.parse(last.code).body
    except SyntaxError:
        return ""
    before = [
        node for node in statements if node.end_lineno is not None and node.end_lineno < last.error.line
    ]
    if len(statements) < MIN_STATEMENTS or len(before) * 2 < len(statements):
        return ""
    return (
        f"the last code failed at line {last.error.line} of {len(last.code.splitlines())}, after "
        f"{len(before)} of its {len(statements)} statements ran: %%oci --plan splits a request like this "
        "into steps, each run and repaired on its own, and the steps that worked stay done"
    )
