"""The words every view uses for a run: a round's outcome, its figures, the line of a traceback that matters.

Kept in one place so that the text view, the widget, its static fallback and `%oci history` agree.
"""

from __future__ import annotations

import re

from oci_magic.checks.findings import Finding, for_people
from oci_magic.loop import records
from oci_magic.loop.records import CUT_AT_MAX_TOKENS, CUT_REPEATING, ErrorInfo, Round, Run, Status
from oci_magic.notebook.changes import listed

__all__ = [
    "round_figures",
    "round_outcome",
    "round_mark",
    "run_mark",
    "candidates_note",
    "repeated_note",
    "error_location",
    "OUTCOME_MARKS",
    "said",
]

# One mark per round status, for tab titles and summaries.
OUTCOME_MARKS = {
    "passed": "✓",
    "failed": "✗",
    "timeout": "⏱",
    "interrupted": "■",
    "no_code": "∅",
    "generated": "·",
    "declined": "⊘",
    "repeated": "↻",
    "incomplete": "◐",
    "refused": "⊗",
}


def round_figures(round_: Round) -> str:
    """One line of a round's figures: '0.21 s to first token · 36.5 tok/s · 52 tokens · ...'."""
    parts = []
    if round_.time_to_first_token is not None:
        parts.append(f"{round_.time_to_first_token:.2f} s to first token")
    if round_.tokens_per_second:
        parts.append(f"{round_.tokens_per_second:.1f} tok/s")
    if round_.generated_tokens is not None:
        parts.append(f"{round_.generated_tokens} tokens")
    if round_.drafted_tokens:
        rate = round_.accepted_tokens / round_.drafted_tokens
        parts.append(f"drafts {rate:.0%} accepted ({round_.accepted_tokens}/{round_.drafted_tokens})")
    if round_.reply_cut == CUT_AT_MAX_TOKENS:
        parts.append("cut at max_tokens")
    elif round_.reply_cut == CUT_REPEATING:
        parts.append("stopped: repeating itself")
    if round_.prompt_tokens is not None:
        evaluated = round_.prompt_tokens_evaluated
        reused = f", {evaluated} evaluated" if evaluated is not None else ""
        parts.append(f"prompt {round_.prompt_tokens} tokens{reused}")
    if round_.execution_time is not None:
        parts.append(f"ran {round_.execution_time:.2f} s")
    return " · ".join(parts)


def round_outcome(round_: Round, run: Run) -> str:
    """What running the round's code did, in a few words with a mark: '✗ ZeroDivisionError: ...'."""
    if round_.interrupted:
        return "■ interrupted"
    if round_.timed_out:
        limit = run.settings.get("exec_timeout")
        text = f"⏱ timed out after {limit:g} s" if limit else "⏱ timed out"
        if round_.overrun:
            text += f" (a C call that ignores interrupts ran {round_.overrun:.1f} s past it)"
        return text
    if round_.error is not None:
        retried = f" (after a retry: {repeated_note(round_)})" if round_.repeat_of is not None else ""
        return f"✗ {round_.error}{retried}{_left_out_note(round_)}"
    if round_.code is None:
        return f"∅ no code in the reply{_cut_note(round_)}"
    if round_.declined:
        if not round_.risks:
            return "⊘ not run: declined"
        why = "; ".join(dict.fromkeys(risk.why for risk in round_.risks))
        if round_.answer == "cannot ask":
            return f"⊘ not run: it {why}, and this frontend cannot ask you"
        return f"⊘ not run: you said no (it {why})"
    if round_.risks and not round_.answer:
        why = "; ".join(f"{risk}" for risk in round_.risks)
        return f"? asking before it runs: {why}"
    if not round_.executed:
        if round_.repeat_of is not None:
            return f"↻ not run: the same code as round {round_.repeat_of}, which failed"
        if round_.shortfalls:
            return f"⊗ not run: {said(round_.shortfalls)}"
        return "· not run"
    retried = f" (after a retry: {repeated_note(round_)})" if round_.repeat_of is not None else ""
    if round_.shortfalls:
        defined = f" · defined {listed(round_.defined)}" if round_.defined else ""
        return f"◐ ran without error but not done: {said(round_.shortfalls)}{defined}{retried}"
    notes = f" · to look at: {said(round_.notes)}" if round_.notes else ""
    notes = _left_out_note(round_) + notes
    mark, backing = round_mark(round_, run), _backing(round_, run)
    defined = listed(round_.defined) if round_.defined else "nothing"
    return f"{mark} ran without error{backing} · defined {defined}{retried}{notes}"


def _backing(round_: Round, run: Run) -> str:
    """What stands behind a round that ran without error: the user's check, agreeing candidates, or
    nothing."""
    check = run.settings.get("check")
    if check:
        return f", and your check `{check}` passed"
    if round_.agreement:
        return f": {round_.agreement}" if round_.agreed else f", unverified: {round_.agreement}"
    return ", unverified"


def round_mark(round_: Round, run: Run) -> str:
    """A round's mark: ✓ only for code that ran and that something verified (the user's check, candidates
    that agree); ○ for code that ran and nothing verified."""
    if round_.status == records.PASSED:
        return "✓" if run.settings.get("check") or round_.agreed else "○"
    return OUTCOME_MARKS.get(round_.status, "")


def run_mark(run: Run) -> str:
    """The run's mark, by the same rule as a round's."""
    if run.status == records.PASSED:
        return "✓" if run.verdict in (records.VERIFIED, records.AGREED) else "○"
    return OUTCOME_MARKS.get(run.status, "✗")


def step_mark(status: str, run: Run | None) -> str:
    """A plan step's mark: · waiting, ▶ running, then its last run's mark."""
    if status in (Status.WAITING, Status.RUNNING):
        return {Status.WAITING: "·", Status.RUNNING: "▶"}[status]
    return run_mark(run) if run is not None else "✗"


def candidates_note(round_: Round) -> str:
    """How the round's candidates went: '◇ 4 candidates tried on your data in forks of the kernel: 3 of 4
    candidates agree · running candidate 2'; or why there was one."""
    if round_.single:
        return f"◇ one candidate: {round_.single}"
    if not round_.candidates:
        return ""
    count = len(round_.candidates)
    failed = sum(1 for candidate in round_.candidates if not candidate.ran)
    raised = f" ({failed} raised or timed out)" if failed else ""
    return (
        f"◇ {count} candidates tried on a copy of your data{raised}: {round_.agreement} · "
        f"running candidate {round_.chosen + 1}"
    )


def repeated_note(round_: Round) -> str:
    """Why a round asked the model twice: its first reply was the code of a round that had failed."""
    return (
        f"the reply repeated the code of round {round_.repeat_of}, which failed: not run again; "
        "the model was asked afresh, with what went wrong but without its failed code"
    )


def said(findings: list[Finding]) -> str:
    """Findings as a person reads them, in one line."""
    return "; ".join(map(for_people, findings))


def _left_out_note(round_: Round) -> str:
    return f" · {said(round_.left_out)}" if round_.left_out else ""


def _cut_note(round_: Round) -> str:
    if round_.reply_cut == CUT_REPEATING:
        return " (the model repeated itself; the reply was stopped)"
    if round_.reply_cut == CUT_AT_MAX_TOKENS:
        return " (the reply reached max_tokens before it ended)"
    return ""


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<name>\S+))?\s*$')


def error_location(error: ErrorInfo, code: str | None) -> str | None:
    """Where the generated code failed, with that line: 'line 4: means = df["unit"].mean()'."""
    lines = (code or "").splitlines()
    if error.line is not None and 1 <= error.line <= len(lines):
        return f"line {error.line}: {lines[error.line - 1].strip()}"
    return _innermost_frame(error.traceback)


def _innermost_frame(traceback_text: str) -> str | None:
    """'line 3, in mean: return sum(xs) / len(xs)' for the innermost frame of a traceback, or None."""
    lines = traceback_text.splitlines()
    for at in range(len(lines) - 1, -1, -1):
        match = _FRAME.match(lines[at])
        if match is None:
            continue
        in_function = match["name"] and match["name"] != "<module>"
        where = f"line {match['line']}" + (f", in {match['name']}" if in_function else "")
        source = lines[at + 1].strip() if at + 1 < len(lines) else ""
        if source and not _FRAME.match(lines[at + 1]) and not source.startswith(("^", "~")):
            return f"{where}: {source}"
        return where
    return None
