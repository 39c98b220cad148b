"""`oci-magic eval completion`: suggestions replayed on code nobody here wrote, DS-1000's reference solutions.

Each problem's reference solution is the cell being typed, and the code of its StackOverflow question is the
cell above it (what a notebook holds before the answer). At points inside lines (the middle of the first
line and of the longest line worth completing) a suggestion is asked for, as the user pausing there would
ask, and compared with the rest of that line: exact match (the line completed as the reference does) and
edit similarity (difflib's ratio). Before each timed request the same cell, five characters earlier, was
asked for (untimed): the user was typing, and the engine's cache holds what it held then. Timed: the first
suggested text and the whole suggestion.

Two prompts, on the same points and the same model: naive fill-in-the-middle (the cell alone around the gap,
as Qwen2.5-Coder's own FIM prompting) and with the cells above (what suggestions send).
"""

from __future__ import annotations

import difflib
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oci_magic.completion.prompt import Around
from oci_magic.completion.suggest import suggest

__all__ = ["Point", "points_of", "question_code", "replay", "main"]

PAUSED_EARLIER = 5  # characters before the point where the user's last request was
SHORTEST_LINE = 12  # characters a line needs to be worth completing


@dataclass(frozen=True)
class Point:
    problem: int
    library: str
    above: str  # the question's code
    before: str
    after: str
    expected: str  # the rest of the line in the reference


def question_code(prompt: str) -> str:
    """The code of a DS-1000 question: its first <code> block, or (Matplotlib) the prompt up to the answer."""
    if "<code>" in prompt:
        return prompt.split("<code>", 1)[1].split("</code>", 1)[0].strip("\n")
    return prompt.split("# SOLUTION START", 1)[0].rstrip()


def points_of(problem: Any) -> list[Point]:
    """The points of one problem: the middle of its first line worth completing and of its longest."""
    lines = problem.reference_cell.rstrip("\n").split("\n")
    worth = [
        i
        for i, line in enumerate(lines)
        if len(line.strip()) >= SHORTEST_LINE and not line.lstrip().startswith("#")
    ]
    chosen = sorted({worth[0], max(worth, key=lambda i: len(lines[i].strip()))}) if worth else []
    points = []
    for i in chosen:
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        at = indent + len(line.strip()) // 2
        before = "\n".join([*lines[:i], line[:at]])
        after = "\n" + "\n".join(lines[i + 1 :]) if i + 1 < len(lines) else ""
        above = question_code(problem.prompt)
        points.append(Point(problem.id, problem.library, above, before, after, line[at:]))
    return points


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.strip(), b.strip()).ratio()


def replay(engine: Any, points: list[Point], *, max_tokens: int = 48) -> dict[str, list[dict[str, Any]]]:
    """Each point asked with both prompts; per prompt, one record a point."""
    found: dict[str, list[dict[str, Any]]] = {"naive": [], "cells above": []}
    for point in points:
        for name, above in (("naive", ()), ("cells above", (point.above,))):
            earlier = Around(point.before[:-PAUSED_EARLIER], point.after, above)
            suggest(engine, earlier, max_tokens=max_tokens)  # the user was typing: the cache holds this
            got = suggest(engine, Around(point.before, point.after, above), max_tokens=max_tokens)
            found[name].append(
                {
                    "problem": point.problem,
                    "library": point.library,
                    "expected": point.expected,
                    "suggested": got.text,
                    "exact": got.text.strip() == point.expected.strip(),
                    "similarity": _similarity(got.text, point.expected),
                    "first_token_seconds": got.first_token_seconds,
                    "seconds": got.seconds,
                    "evaluated": got.evaluated,
                }
            )
    return found


def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    firsts = sorted(r["first_token_seconds"] for r in records if r["first_token_seconds"] is not None)
    wholes = sorted(r["seconds"] for r in records)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

    return {
        "points": len(records),
        "exact": sum(r["exact"] for r in records),
        "similarity": statistics.mean(r["similarity"] for r in records) if records else float("nan"),
        "first_token_median": pct(firsts, 0.5),
        "first_token_p95": pct(firsts, 0.95),
        "whole_median": pct(wholes, 0.5),
    }


def main(args: Any) -> int:
    from oci_magic.backends.llamacpp import LlamaCppBackend
    from oci_magic.evaluation.ds1000 import load_problems, stratified_order
    from oci_magic.models.resolve import resolve_model

    problems = stratified_order(load_problems(args.data), args.seed)[: args.sample or 60]
    points = [point for problem in problems for point in points_of(problem)]
    path, _ = resolve_model(args.model)
    backend = LlamaCppBackend(path, n_ctx=args.n_ctx, n_threads=args.threads)
    started = time.perf_counter()
    found = replay(backend.suggestions(), points)
    out = args.out or Path("oci-eval") / f"completion-{path.stem}"
    out.mkdir(parents=True, exist_ok=True)
    figures = {name: summary(records) for name, records in found.items()}
    (out / "results.json").write_text(json.dumps({"figures": figures, "records": found}, indent=1))
    print(
        f"oci-magic eval completion · {backend.name} · {len(problems)} DS-1000 problems, {len(points)} points"
    )
    for name, figure in figures.items():
        share = 100 * figure["exact"] / max(figure["points"], 1)
        print(
            f"  {name:<12} exact {figure['exact']}/{figure['points']} ({share:.1f}%) · similarity "
            f"{figure['similarity']:.3f} · first token median {figure['first_token_median']:.2f} s, p95 "
            f"{figure['first_token_p95']:.2f} s · whole median {figure['whole_median']:.2f} s"
        )
    print(f"  {time.perf_counter() - started:.0f} s; records in {out / 'results.json'}")
    backend.close()
    return 0
