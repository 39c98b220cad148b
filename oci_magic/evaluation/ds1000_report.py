"""What `oci-magic eval ds1000` leaves behind, in the shape of the other evals: the table (printed and in
summary.md), results.json with every round of every problem, and failed.ipynb with the unsolved ones."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_markdown_cell

from oci_magic.evaluation.ds1000_run import ProblemResult
from oci_magic.evaluation.notebook import NotebookSettings
from oci_magic.evaluation.report import save, solved_table, unsolved_notebook
from oci_magic.versions import package_versions

__all__ = ["ds1000_table", "write_ds1000_outputs", "self_check_table"]


def ds1000_table(results: Sequence[ProblemResult], settings: NotebookSettings, model: str) -> str:
    n = len(results)
    decoding = "greedy" if settings.temperature == 0 else f"temperature {settings.temperature}"
    solved = [sum(r.solved_after[k] for r in results) for k in range(settings.max_rounds)]
    checks = ("" if settings.result_checks else " · result checks off") + (
        " · second look" if settings.second_look else ""
    )
    lines = solved_table(
        f"DS-1000 · {model} · {n} problem{'s' * (n != 1)} · {decoding}{checks}", solved, n, "pass"
    )
    lines += ["", "| library | problems | single turn | after every round |", "|---|---:|---:|---:|"]
    for library in sorted({r.problem.library for r in results}):
        mine = [r for r in results if r.problem.library == library]
        first, last = sum(r.solved_after[0] for r in mine), sum(r.solved for r in mine)
        lines.append(f"| {library} | {len(mine)} | {first} | {last} |")
    seconds = sum(r.seconds for r in results)
    lines += [
        "",
        f"repaired after round 1: {sum(r.solved and not r.solved_after[0] for r in results)} · "
        f"said passed but wrong: {sum(r.claimed_pass and not r.solved for r in results)} · "
        f"stopped (incomplete) rounds: {sum(r.count('incomplete') for r in results)} · "
        f"refused rounds: {sum(r.count('refused') for r in results)} · "
        f"repeated rounds: {sum(r.count('repeated') for r in results)} · "
        f"runs where no code ran: {sum(r.no_code_ran for r in results)} · "
        f"passed with notes for the user: {sum(r.claimed_pass and r.noted for r in results)} · "
        f"could not run: {sum(bool(r.problem_text) for r in results)}",
        f"replies that repeated failed code, asked afresh: {_rounds(results, 'retry_prompt')} · "
        f"rounds with lines left out (the question's data): {_rounds(results, 'left_out')} · "
        f"second looks: {_rounds(results, 'look_reply')}",
        f"generated tokens: {sum(r.generated_tokens for r in results) / max(n, 1):.0f} a problem · "
        f"wall time {seconds / max(n, 1):.1f} s a problem",
    ]
    lines += _verdict_lines(results)
    if settings.candidates > 1:
        lines += _candidate_lines(results, settings.candidates)
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.0f}%)" if whole else "0 of 0"


def _verdict_lines(results: Sequence[ProblemResult]) -> list[str]:
    """How far the run's own verdict can be trusted: of the runs it vouched for (check or agreement), how
    many are right; of the right ones, how many it vouched for."""
    vouched = [r for r in results if r.vouched]
    solved = [r for r in results if r.solved]
    return [
        "",
        f"vouched for (verified or agreed): right {_share(sum(r.solved for r in vouched), len(vouched))} · "
        f"right runs vouched for: {_share(sum(r.vouched for r in solved), len(solved))} · "
        "ran without error, unverified and wrong: "
        f"{sum(r.claimed_pass and not r.vouched and not r.solved for r in results)}",
    ]


def _candidate_lines(results: Sequence[ProblemResult], k: int) -> list[str]:
    """Round 1's candidates, each judged by the test: the greedy one, any one (oracle), the chosen one,
    and how agreement goes with being right."""
    firsts = [
        (r, r.rounds[0], r.candidates_right[0])
        for r in results
        if r.candidates_right and r.candidates_right[0]
    ]
    n = len(firsts)
    greedy = sum(right[0] for _, _, right in firsts)
    oracle = sum(any(right) for _, _, right in firsts)
    chosen = sum(
        right[first.get("chosen", 0)] for _, first, right in firsts if first.get("chosen", 0) < len(right)
    )
    agreed = [(first, right) for _, first, right in firsts if first.get("agreed")]
    agreed_right = sum(right[first.get("chosen", 0)] for first, right in agreed)
    greedy_wrong = [(first, right) for _, first, right in firsts if not right[0]]
    disagree = sum(not first.get("agreed") for first, _ in greedy_wrong)
    single = sum(1 for r in results if r.rounds and r.rounds[0].get("single"))
    return [
        "",
        f"round 1, {k} candidates ({n} problems with several): greedy right {greedy} · some candidate right "
        f"(oracle) {oracle} · chosen right {chosen}",
        f"candidates agreed: {len(agreed)}, the chosen one right in {agreed_right} · greedy wrong: "
        f"{len(greedy_wrong)}, candidates disagreed in {disagree} · one candidate (not tried): {single}",
    ]


def _rounds(results: Sequence[ProblemResult], field: str) -> int:
    return sum(bool(r.get(field)) for result in results for r in result.rounds)


def _document(results, settings, model, duration) -> dict[str, Any]:
    return {
        "benchmark": "DS-1000",
        "model": model,
        "settings": asdict(settings),
        "problems_run": len(results),
        "pass": {
            str(k): sum(r.solved_after[k] for r in results) / max(len(results), 1)
            for k in range(settings.max_rounds)
        },
        "repaired": sum(r.solved and not r.solved_after[0] for r in results),
        "false_passes": sum(r.claimed_pass and not r.solved for r in results),
        "duration_seconds": round(duration, 1),
        "versions": package_versions(),
        "problems": [
            {
                "id": r.problem.id,
                "library": r.problem.library,
                "perturbation": r.problem.perturbation,
                "solved_after": r.solved_after,
                "test_reasons": r.reasons,
                "claimed_pass": r.claimed_pass,
                "could_not_run": r.problem_text,
                "seconds": round(r.seconds, 2),
                "generated_tokens": r.generated_tokens,
                "candidates_right": r.candidates_right,
                "run": {key: value for key, value in r.run.items() if key != "cells"},
            }
            for r in results
        ],
    }


def _failed_notebook(results: Sequence[ProblemResult]) -> nbformat.NotebookNode:
    cells = []
    for r in results:
        if r.solved:
            continue
        cells.append(new_markdown_cell(f"## DS-1000 problem {r.problem.id} ({r.problem.library})"))
        if r.problem_text:
            cells.append(new_markdown_cell(f"Could not run: {r.problem_text}"))
        cells += [nbformat.from_dict(cell) for cell in r.run.get("cells", [])]
        cells.append(new_markdown_cell(f"**DS-1000's test** after the last round: `{r.reasons[-1]}`"))
    return unsolved_notebook(cells)


def write_ds1000_outputs(
    out: Path,
    results: Sequence[ProblemResult],
    settings: NotebookSettings,
    model: dict[str, Any],
    *,
    duration: float,
) -> dict[str, Path]:
    return save(
        out,
        _document(results, settings, model, duration),
        _failed_notebook(results),
        ds1000_table(results, settings, model["name"]),
    )


def self_check_table(report: dict[str, Any]) -> str:
    """Which problems can run, why the others cannot (grouped), and the false stops with what was said."""
    checked, unusable, stops = report["problems"], report["unusable"], report["false_stops"]
    usable = checked - len(unusable)
    lines = [f"DS-1000 self-check · {checked} problems · {usable} can run here", ""]
    reasons: dict[str, list[int]] = {}
    for problem_id, why in sorted(unusable.items()):
        reasons.setdefault(str(why.reason), []).append(problem_id)
    for why, ids in sorted(reasons.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(map(str, ids[:12])) + (" ..." if len(ids) > 12 else "")
        lines.append(f"cannot run ({len(ids)}): {why} [{shown}]")
    rate = 100 * len(stops) / usable if usable else 0.0
    lines += [
        "",
        f"false stops: {len(stops)} of {usable} reference solutions ({rate:.1f}%) did not pass round 1",
    ]
    kinds = Counter(kind for stop in stops for kind in dict.fromkeys(stop.kinds or stop.statuses[-1:]))
    if kinds:
        lines.append("  by what stopped them: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))
    for stop in stops:
        lines.append(
            f"  {stop.problem.id} ({stop.problem.library}) {stop.statuses}: {' | '.join(stop.said)[:300]}"
        )
    return "\n".join(lines)
