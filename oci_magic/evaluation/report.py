"""What an evaluation leaves behind: the pass@1 table (printed and in summary.md), results.json with every
attempt of every task, and failed.ipynb with the rounds of the tasks that were not solved."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

from oci_magic.evaluation.harness import EvalSettings, TaskResult, pass_rates
from oci_magic.jupyter.transcript import run_cells
from oci_magic.versions import package_versions

__all__ = [
    "row_label",
    "solved_table",
    "unsolved_notebook",
    "save",
    "pass_table",
    "results_document",
    "failed_notebook",
    "write_outputs",
]


def row_label(k: int) -> str:
    if k == 0:
        return "single turn"
    return f"+ execution feedback ({k} round{'s' * (k != 1)})"


def solved_table(title: str, solved: Sequence[int], total: int, column: str = "pass@1") -> list[str]:
    """The paper's shape: single turn, then with k rounds of execution feedback, in percent and tasks."""
    lines = [title, "", f"| {'':<36} | {column:>6} | solved |", f"|{'-' * 38}|-------:|-------:|"]
    for k, count in enumerate(solved):
        rate = 100 * count / total if total else 0.0
        lines.append(f"| {row_label(k):<36} | {rate:6.1f} | {count:>6} |")
    return lines


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


def unsolved_notebook(cells: list) -> nbformat.NotebookNode:
    """The notebook of the unsolved tasks' cells (a line saying so when every task was solved)."""
    notebook = new_notebook(
        cells=cells or [new_markdown_cell("Every task was solved.")],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return notebook


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


def save(out: Path, document: dict[str, Any], notebook: nbformat.NotebookNode, table: str) -> dict[str, Path]:
    """results.json, failed.ipynb and summary.md in `out`; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "notebook": out / "failed.ipynb", "table": out / "summary.md"}
    paths["json"].write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    nbformat.write(notebook, paths["notebook"])
    paths["table"].write_text(table + "\n", encoding="utf-8")
    return paths
