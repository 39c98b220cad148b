"""What every evaluation leaves behind, in the same shape: the solved table (printed and in summary.md),
results.json with every attempt, and failed.ipynb with the rounds of what was not solved."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

__all__ = ["row_label", "solved_table", "unsolved_notebook", "save"]


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


def save(out: Path, document: dict[str, Any], notebook: nbformat.NotebookNode, table: str) -> dict[str, Path]:
    """results.json, failed.ipynb and summary.md in `out`; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "notebook": out / "failed.ipynb", "table": out / "summary.md"}
    paths["json"].write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    nbformat.write(notebook, paths["notebook"])
    paths["table"].write_text(table + "\n", encoding="utf-8")
    return paths
