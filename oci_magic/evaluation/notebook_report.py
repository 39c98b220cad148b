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
    """The single-request tasks as one %%oci each (the suite's figure); then the multi-step tasks as one
    %%oci against --plan."""
    single = [r for r in results if r.task.kind != "plan"]
    lines = _single_table(single, settings, model) if single else []
    if any(r.mode == "plan" for r in results):
        lines += ["", *plan_table(results, model)] if lines else plan_table(results, model)
    return "\n".join(lines)


def plan_table(results: Sequence[NotebookResult], model: str) -> list[str]:
    """The multi-step tasks, each as one %%oci and as %%oci --plan: steps whose check passed, whole request
    solved, wall time and tokens."""
    by_mode = {
        mode: {r.task.name: r for r in results if r.mode == mode and r.task.kind == "plan"}
        for mode in ("oci", "plan")
    }
    names = [name for name in by_mode["plan"] if name in by_mode["oci"]]
    rows = [f"multi-step tasks · {model} · {len(names)} · one %%oci against %%oci --plan"]
    header = f"{'':<24} {'steps passed':>13} {'solved':>7} {'s a task':>9} {'tokens':>8}"
    rows.append(header)
    for mode, label in (("oci", "one %%oci"), ("plan", "%%oci --plan")):
        chosen = [by_mode[mode][name] for name in names]
        steps = sum(sum(r.steps_passed) for r in chosen)
        total = sum(len(r.task.step_checks) for r in chosen)
        solved = sum(r.solved for r in chosen)
        seconds = sum(r.seconds for r in chosen) / max(len(chosen), 1)
        tokens = sum(r.generated_tokens for r in chosen)
        rows.append(
            f"{label:<24} {f'{steps}/{total}':>13} {f'{solved}/{len(chosen)}':>7} {seconds:>9.1f} {tokens:>8}"
        )
    hinted = [
        by_mode["oci"][name] for name in names if any(r.get("plan_hint") for r in by_mode["oci"][name].runs)
    ]
    rows.append(
        f"one %%oci suggested --plan on {len(hinted)} of {len(names)} (of them solved by --plan: "
        f"{sum(by_mode['plan'][r.task.name].solved for r in hinted)})"
    )
    planned = [by_mode["plan"][name].plan for name in names]
    lists = sum(len(p.get("steps", [])) > 1 for p in planned)
    rows.append(f"plans read as a list of steps: {lists} of {len(names)}")
    return rows


def _single_table(results: Sequence[NotebookResult], settings: NotebookSettings, model: str) -> list[str]:
    n = len(results)
    decoding = "greedy" if settings.temperature == 0 else f"temperature {settings.temperature}"
    solved = [sum(result.solved_after[k] for result in results) for k in range(settings.max_rounds)]
    lines = solved_table(
        f"notebook tasks · {model} · {n} task{'s' * (n != 1)} · {decoding}", solved, n, "pass"
    )
    repaired = sum(r.solved and not r.solved_after[0] for r in results)
    hinted = sum(any(run.get("plan_hint") for run in r.runs) for r in results)
    false_passes = sum(r.claimed_pass and not r.solved for r in results)
    seconds = sum(r.seconds for r in results)
    tokens = sum(r.generated_tokens for r in results)
    lines += [
        "",
        f"repaired after round 1: {repaired} · said passed but failed the check: {false_passes} · "
        f"generated tokens: {tokens} · wall time {seconds / max(n, 1):.1f} s a task · "
        f"suggested --plan: {hinted}",
        f"said passed (verified or agreed): {sum(r.vouched for r in results)}, of them failed the check: "
        f"{sum(r.vouched and not r.solved for r in results)} · solved and said passed: "
        f"{sum(r.vouched and r.solved for r in results)} of {sum(r.solved for r in results)}",
    ]
    return lines


def _document(results, settings, model, duration) -> dict[str, Any]:
    single = [r for r in results if r.task.kind != "plan"]  # the suite's figures; the multi-step ones apart
    return {
        "benchmark": "notebook",
        "model": model,
        "settings": asdict(settings),
        "tasks_run": len(single),
        "pass": {
            str(k): _rate(sum(r.solved_after[k] for r in single), len(single)) / 100
            for k in range(settings.max_rounds)
        },
        "repaired": sum(r.solved and not r.solved_after[0] for r in single),
        "false_passes": sum(r.claimed_pass and not r.solved for r in single),
        "vouched_wrong": sum(r.vouched and not r.solved for r in single),
        "duration_seconds": round(duration, 1),
        "versions": package_versions(),
        "tasks": [
            {
                "name": r.task.name,
                "kind": r.task.kind,
                "mode": r.mode,
                "steps_passed": r.steps_passed,
                "plan": r.plan,
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
        mode = " · --plan" if result.mode == "plan" else ""
        cells.append(new_markdown_cell(f"## {result.task.name} ({result.task.kind}{mode})"))
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
