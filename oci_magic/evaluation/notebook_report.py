"""What `oci-magic eval notebook` leaves behind, in the shape of `eval humaneval`'s: the table (printed and in
summary.md), results.json with every round of every task, and failed.ipynb with the rounds of the tasks
whose check failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_markdown_cell

from oci_magic.evaluation.notebook import NotebookResult, NotebookSettings
from oci_magic.evaluation.report import save, solved_table, unsolved_notebook
from oci_magic.versions import package_versions

__all__ = ["notebook_table", "write_notebook_outputs"]


def _rate(count: int, total: int) -> float:
    return 100 * count / total if total else 0.0


def notebook_table(results: Sequence[NotebookResult], settings: NotebookSettings, model: str) -> str:
    n = len(results)
    decoding = "greedy" if settings.temperature == 0 else f"temperature {settings.temperature}"
    solved = [sum(result.solved_after[k] for result in results) for k in range(settings.max_rounds)]
    lines = solved_table(
        f"notebook tasks · {model} · {n} task{'s' * (n != 1)} · {decoding}", solved, n, "pass"
    )
    repaired = sum(r.solved and not r.solved_after[0] for r in results)
    false_passes = sum(r.claimed_pass and not r.solved for r in results)
    seconds = sum(r.seconds for r in results)
    tokens = sum(r.generated_tokens for r in results)
    lines += [
        "",
        f"repaired after round 1: {repaired} · said passed but failed the check: {false_passes} · "
        f"generated tokens: {tokens} · wall time {seconds / max(n, 1):.1f} s a task",
    ]
    return "\n".join(lines)


def _document(results, settings, model, duration) -> dict[str, Any]:
    return {
        "benchmark": "notebook",
        "model": model,
        "settings": asdict(settings),
        "tasks_run": len(results),
        "pass": {
            str(k): _rate(sum(r.solved_after[k] for r in results), len(results)) / 100
            for k in range(settings.max_rounds)
        },
        "repaired": sum(r.solved and not r.solved_after[0] for r in results),
        "false_passes": sum(r.claimed_pass and not r.solved for r in results),
        "duration_seconds": round(duration, 1),
        "versions": package_versions(),
        "tasks": [
            {
                "name": r.task.name,
                "kind": r.task.kind,
                "requests": list(r.task.requests),
                "solved_after": r.solved_after,
                "check_reasons": r.reasons,
                "claimed_pass": r.claimed_pass,
                "problem": r.problem,
                "seconds": round(r.seconds, 2),
                "generated_tokens": r.generated_tokens,
                "runs": [{key: value for key, value in run.items() if key != "cells"} for run in r.runs],
            }
            for r in results
        ],
    }


def _failed_notebook(results: Sequence[NotebookResult]) -> nbformat.NotebookNode:
    cells = []
    for result in results:
        if result.solved:
            continue
        cells.append(new_markdown_cell(f"## {result.task.name} ({result.task.kind})"))
        if result.problem:
            cells.append(new_markdown_cell(f"Could not run: {result.problem}"))
        for run in result.runs:
            cells += [nbformat.from_dict(cell) for cell in run.get("cells", [])]
        cells.append(new_markdown_cell(f"**The hidden check** failed: `{result.reasons[-1]}`"))
    return unsolved_notebook(cells)


def write_notebook_outputs(
    out: Path,
    results: Sequence[NotebookResult],
    settings: NotebookSettings,
    model: dict[str, Any],
    *,
    duration: float,
) -> dict[str, Path]:
    return save(
        out,
        _document(results, settings, model, duration),
        _failed_notebook(results),
        notebook_table(results, settings, model["name"]),
    )
