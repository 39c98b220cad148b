"""The messages of the `oci_magic` comm between the kernel and the JupyterLab extension, in one place: the
Python side of `labextension/src/tokens.ts`, which lists the same messages and fields (a test reads it and
compares). The kernel builds every message it sends with these functions.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from oci_magic.jupyter.cells import NewCell
from oci_magic.loop.records import Round, Run, Status
from oci_magic.plan.records import Plan
from oci_magic.views.describe import round_outcome, run_mark, step_mark

__all__ = [
    "TARGET",
    "KERNEL_MESSAGES",
    "FRONTEND_MESSAGES",
    "ROUND_FIELDS",
    "RUN_FIELDS",
    "PLAN_FIELDS",
    "STEP_FIELDS",
    "plan_info",
    "kernel_message",
    "round_info",
    "run_info",
    "cells_payload",
]

TARGET = "oci_magic"

# Kernel to frontend: each message type and its fields besides `type`.
KERNEL_MESSAGES: dict[str, tuple[str, ...]] = {
    "open": ("version", "settings"),  # settings: the extension's name of each setting it edits, and ours
    "state": ("model", "settings", "runs", "conversation_turns", "undo_held", "plans", "suggestions"),
    "run": ("event", "parent", "run"),
    "insert_cells": ("parent", "cells"),
    # Undo: remove the run's cells that still hold the source sent (ask about one the user edited).
    "remove_cells": ("run", "cells"),
    # A candidate the user chose instead: the run's cell of `round`, if it still holds `source`, gets `code`.
    "replace_cell": ("run", "round", "source", "code", "metadata"),
    "error": ("message",),
    "notice": ("message",),  # what an undo or keep asked from the sidebar did
    # A suggestion for the cursor of the `complete` request `id`, as it grows; `done` at its end; `error`
    # says why there is none (the model is loading, suggestions are off).
    "suggestion": ("id", "text", "done", "error"),
}
# Frontend to kernel: the types the kernel answers (`settings` carries setting names as its fields).
FRONTEND_MESSAGES = ("hello", "state", "reset", "settings", "undo", "keep", "complete")
ROUND_FIELDS = ("index", "status", "outcome", "code")
RUN_FIELDS = ("id", "request", "model", "status", "mark", "summary", "max_rounds", "rounds", "undo", "step")
PLAN_FIELDS = ("id", "request", "status", "summary", "message", "stopped_at", "steps")
STEP_FIELDS = ("index", "title", "status", "mark", "runs")


def kernel_message(kind: str, **fields: Any) -> dict[str, Any]:
    """A message of `kind` with exactly its fields: a missing or unknown field is a bug, caught here rather
    than by a sidebar that shows nothing."""
    expected = KERNEL_MESSAGES[kind]
    if set(fields) != set(expected):
        raise ValueError(f"a {kind!r} message has the fields {expected}, not {tuple(fields)}")
    return {"type": kind, **fields}


def round_info(run: Run, round_: Round) -> dict[str, Any]:
    """A round as the sidebar shows it; its outcome once it has one."""
    ended = (
        round_.executed
        or round_.code is None
        and bool(round_.reply)  # written, and no code in it
        or round_.repeat_of is not None
        or round_.shortfalls
        or round_.risks  # asked about before it runs: the question, then the answer
    )
    return {
        "index": round_.index,
        "status": round_.status,
        "outcome": round_outcome(round_, run) if ended else "",
        "code": round_.code,
    }


def run_info(run: Run, undo: str = "") -> dict[str, Any]:
    """A run as the sidebar shows it; `undo`: "open" (it can be undone), "undone", "kept" or ""."""
    return {
        "id": run.id,
        "request": run.request,
        "model": run.model,
        "status": run.status,
        # ✓ only where something verified the answer (the user's check, agreeing candidates); ○ where it ran
        # and nothing did.
        "mark": run_mark(run) if run.status != Status.RUNNING else "",
        "summary": run.summary() if run.status != Status.RUNNING else "",
        "max_rounds": run.max_rounds,
        "rounds": [round_info(run, round_) for round_ in run.rounds],
        "undo": undo,
        "step": asdict(run.step) if run.step is not None else None,
    }


def plan_info(plan: Plan) -> dict[str, Any]:
    """A plan as the sidebar shows it: its steps with their statuses and runs, and where it stopped."""
    return {
        "id": plan.id,
        "request": plan.request,
        "status": plan.status,
        "summary": plan.summary(),
        "message": " ".join(said for said in (plan.message, plan.advice) if said),
        "stopped_at": plan.stopped_at,
        "steps": [
            {
                "index": step.index,
                "title": step.title,
                "status": step.status,
                "mark": step_mark(step.status, step.run),
                "runs": [r.id for r in step.runs],
            }
            for step in plan.steps
        ],
    }


def cells_payload(cells: list[NewCell]) -> list[dict[str, Any]]:
    return [{"source": cell.source, "metadata": cell.metadata, "cell_type": cell.cell_type} for cell in cells]
