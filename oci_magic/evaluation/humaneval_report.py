"""What a HumanEval evaluation leaves behind: the pass@1 table (printed and in summary.md), results.json with
every attempt of every task, and failed.ipynb with the rounds of the tasks that were not solved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_markdown_cell

from oci_magic.evaluation.humaneval_run import EvalSettings, TaskResult, pass_rates
from oci_magic.evaluation.report import save, solved_table, unsolved_notebook
from oci_magic.jupyter.transcript import run_cells
from oci_magic.versions import package_versions

__all__ = [
    "pass_table",
    "results_document",
    "failed_notebook",
    "write_outputs",
]


def pass_table(results: Sequence[TaskResult], settings: EvalSettings, model: str, total: int) -> str:
    """pass@1 single turn, then with execution feedback."""
    scope = f"{len(results)} task{'s' * (len(results) != 1)}" + (
        f" of {total}" if len(results) != total else ""
    )
    decoding = "greedy" if settings.temperature == 0 else f"temperature {settings.temperature}"
    solved = [sum(result.solved_after[k] for result in results) for k in range(settings.rounds + 1)]
    title = f"HumanEval · {model} · {scope} · feedback: {settings.feedback} · {decoding}"
    return "\n".join(solved_table(title, solved, len(results)))


def results_document(
    results: Sequence[TaskResult], settings: EvalSettings, model: dict[str, Any], *, duration: float
) -> dict[str, Any]:
    rates = pass_rates(results, settings.rounds)
    return {
        "benchmark": "HumanEval",
        "model": model,
        "settings": asdict(settings),
        "tasks_run": len(results),
        "pass_at_1": {str(k): rate for k, rate in enumerate(rates)},
        "duration_seconds": round(duration, 1),
        "versions": package_versions(),
        "tasks": [
            {
                "task_id": result.task.task_id,
                "entry_point": result.task.entry_point,
                "solved_after": result.solved_after,
                "status": result.run.status,
                "seconds": round(result.seconds, 2),
                "examples_run": result.examples,
                "attempts": [asdict(attempt) for attempt in result.attempts],
            }
            for result in results
        ],
    }


def failed_notebook(results: Sequence[TaskResult], settings: EvalSettings) -> nbformat.NotebookNode:
    """The tasks not solved after every feedback round: the task, each round's reply and code with what
    running it showed, and the benchmark's verdict on each attempt."""
    cells = []
    for result in results:
        if result.solved:
            continue
        verdicts = "\n".join(
            f"- round {attempt.round}: {'passes' if attempt.passed else 'fails'} the tests"
            + (f" ({attempt.reason})" if attempt.reason else "")
            for attempt in result.attempts
        )
        cells.append(new_markdown_cell(f"## {result.task.task_id} · `{result.task.entry_point}`"))
        cells += run_cells(result.run)  # the request quotes the task's prompt
        cells.append(
            new_markdown_cell(f"**The benchmark's tests** ({settings.feedback} feedback):\n\n{verdicts}")
        )
    return unsolved_notebook(cells)


def write_outputs(
    out: Path,
    results: Sequence[TaskResult],
    settings: EvalSettings,
    model: dict[str, Any],
    *,
    duration: float,
    total: int,
) -> dict[str, Path]:
    return save(
        out,
        results_document(results, settings, model, duration=duration),
        failed_notebook(results, settings),
        pass_table(results, settings, model["name"], total),
    )
