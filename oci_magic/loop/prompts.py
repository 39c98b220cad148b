"""Every word the model sees: the system prompt, requests with notebook context, execution feedback,
and trimming of long text and long conversations to fit the context window.

Feedback keeps the shape OpenCodeInterpreter was trained on: a user turn that starts "Execution result:".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from oci_magic.checks.findings import Finding, for_model
from oci_magic.errors import ContextOverflowError

__all__ = [
    "SYSTEM_PROMPT",
    "request_message",
    "feedback_message",
    "repeated_code_message",
    "earlier_failure",
    "fresh_start_message",
    "second_look_message",
    "trim_middle",
    "fit_messages",
    "function_request",
]

SYSTEM_PROMPT = (
    "You are a Python code interpreter working inside the user's Jupyter notebook. "
    "Answer each request with one ```python code block that does what the user asks. "
    "The code runs in the user's live kernel: use the variables and files they already have, as they are "
    "shown to you (names, columns, values, the first lines of files); never invent data, columns, values or "
    "files, and never replace the user's data with made-up examples. What your code defines stays for later "
    "cells: store results under the names the user asks for. Print results or end with an expression so the "
    "user sees them. When the execution result shows an error, say in one sentence what caused it, fix that "
    "cause (never hide the error behind a check or a try/except), and write the whole corrected code again."
)

EMPTY_RESULT = "Code is executed, but result is empty."
TIMED_OUT = "Execution timed out."
INTERRUPTED = "Execution was interrupted by the user."
NO_CODE_FEEDBACK = (
    "Execution result: \nThe reply has no code, so nothing ran. Write the whole corrected code in one "
    "```python block."
)


def trim_middle(text: str, limit: int) -> str:
    """Keep the head and the tail of `text` within about `limit` characters.

    Tracebacks carry the failing call at the top and the exception at the bottom; the middle is
    where long outputs repeat themselves.
    """
    if limit <= 0 or len(text) <= limit:
        return text
    head = limit // 3
    tail = limit - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n...({cut} characters cut)...\n{text[-tail:]}"


def request_message(request: str, namespace_summary: str = "", files: str = "") -> str:
    """The user turn for a new request: peeks of the files it names and a summary of the notebook's
    variables before it, so the code is written for the data that is there."""
    parts = []
    if files:
        parts.append(f"Files the request names, as they are on disk:\n{files}")
    if namespace_summary:
        parts.append(f"Variables already defined in the notebook:\n{namespace_summary}")
    return "\n\n".join([*parts, request.strip()])


def fix_request(source: str, error_traceback: str, cell_label: str, *, limit: int = 2000) -> str:
    """The request of `%oci fix`: repair a notebook cell that raised, from its code and traceback."""
    first_line = error_traceback.strip().splitlines()[-1] if error_traceback.strip() else "an error"
    return (
        f"Fix the code of {cell_label}; it raised {first_line}\n\n"
        f"The code:\n```python\n{source.strip()}\n```\n\n"
        f"The error:\n```\n{trim_middle(error_traceback.strip(), limit)}\n```\n\n"
        "Write the corrected code in full."
    )


# Where a warning says the code was (ipykernel's file for a cell: /tmp/ipykernel_<pid>/<hash>.py:3:), as the
# tracebacks say it ("your code"): the process id would make the same run's feedback differ from run to run.
# Anchored at a line's start and lazy, so that a huge printed line costs linear time.
_OWN_CELL_FILE = re.compile(r"^\S*?ipykernel_\d+[/\\]\d+\.py:(\d+):", re.MULTILINE)


def _own_code_named(text: str) -> str:
    return _OWN_CELL_FILE.sub(r"your code, line \1:", text) if "ipykernel_" in text else text


def feedback_message(
    *,
    output: str,
    error_text: str | None,
    timed_out: bool = False,
    interrupted: bool = False,
    check: str | None = None,
    check_failed: bool = False,
    hidden_chars: int = 0,
    shortfalls: Sequence[Finding] = (),
    left_out: Sequence[Finding] = (),
    limit: int = 2000,
) -> str:
    """The "Execution result:" turn that tells the model what its code did. `hidden_chars` is what was
    printed beyond the output limit and never kept: said at the end of the output. `shortfalls` are what
    code that raised nothing left undone (outcome.py): said after the output, which gives way to them.
    `left_out` are statements that were not run because they would replace the user's data: said first."""
    output = _own_code_named(output)
    if hidden_chars:
        output = output.rstrip("\n") + f"\n...({hidden_chars} more characters printed, not kept)...\n"
    if interrupted or timed_out:
        printed = trim_middle(output, limit // 2).rstrip("\n")
        body = (printed + "\n" if printed else "") + (INTERRUPTED if interrupted else TIMED_OUT)
    elif error_text is not None:
        # The error matters more than what was printed before it: give it the larger share.
        printed = trim_middle(output, limit // 3).rstrip("\n")
        if check_failed:
            error_text = f"The check `{check}` failed:\n{error_text}"
        body = (printed + "\n" if printed else "") + trim_middle(error_text, limit - len(printed))
    elif shortfalls:
        undone = "\n".join(f"- {for_model(item)}" for item in shortfalls)
        undone = (
            f"The code ran without an error, but it did not do what was asked:\n{undone}\n"
            "Fix the cause and write the whole corrected code again."
        )
        printed = trim_middle(output, max(0, limit - len(undone))).rstrip("\n") if output.strip() else ""
        body = (printed + "\n" if printed else "") + undone
    else:
        body = trim_middle(output, limit) if output.strip() else EMPTY_RESULT
    if left_out:  # said first: it explains why the values differ from those the code wrote
        said = "\n".join(f"- {for_model(item)}" for item in left_out)
        body = f"Not run, because the user's data is already defined:\n{said}\n{body}"
    return "Execution result: \n" + body.rstrip("\n")


def not_run_message(reasons: Sequence[Finding]) -> str:
    """The turn after code that was not run because it would replace the user's data with made-up values."""
    listed = "\n".join(f"- {for_model(reason)}" for reason in reasons)
    return (
        f"Execution result: \nThe code was not run:\n{listed}\nThe user's data is shown above. Write the "
        "whole code again so that it works on that data; never make up data."
    )


def declined_message(risks: list) -> str:
    """The turn after code the user did not allow to run: what it would have done, as constraints for the
    next reply (`risks`: safety.risks.Risk)."""
    what = "\n".join(f"- line {risk.line}: {risk.why}: {risk.code}" for risk in risks)
    rules = "; ".join(dict.fromkeys(risk.constraint for risk in risks))
    return (
        f"Execution result: \nThe user did not allow this code to run, because it would do this outside "
        f"the notebook:\n{what}\nWrite the whole code again without that: {rules}."
    )


def repeated_code_message(
    round_index: int, error: object | None, shortfall: Finding | None = None, *, refused: bool = False
) -> str:
    """The turn after a reply that repeats the code of a round that failed (or ran but left `shortfall`
    undone, or was not run because of `shortfall`): it is not run again."""
    said = for_model(shortfall) if shortfall is not None else ""
    if refused:
        return (
            f"Execution result: \nThis is the same code as round {round_index}, which was not run: "
            f"{said}. It is not run now either. Do not define that data again: write code that starts "
            "from the existing variable as it is."
        )
    if error is not None:
        failure = f"failed with {error}"
    else:
        failure = f"ran but did not do what was asked ({said})" if said else "failed"
    return (
        f"Execution result: \nThis is the same code as round {round_index}, which {failure}. Running it "
        "again would fail the same way, so it was not run. Read the error and the values shown above, find "
        "the cause, and write different, corrected code."
    )


def earlier_failure(code: str, error: object | None, shortfalls: Sequence[Finding]) -> str:
    """What went wrong with an earlier round's code, in one line: the failing line (the error's `line`) and
    its error, or what code that raised nothing left undone, or why it was not run."""
    if error is not None:
        lines, line = code.splitlines(), getattr(error, "line", None)
        said = " ".join(str(error).split())
        said = said if len(said) <= 200 else said[:200] + "..."
        if line is not None and 0 < line <= len(lines) and lines[line - 1].strip():
            return f"`{lines[line - 1].strip()}` raised {said}"
        return f"it raised {said}"
    if shortfalls:
        return "; ".join(map(for_model, shortfalls))
    return "it did not work"


def fresh_start_message(request_turn: str, failures: list[str]) -> str:
    """The request again, in a conversation of its own, with what earlier code did wrong stated as
    constraints. A small model shown its own failed code tends to write it again, word for word; here it
    has no failed turn to copy from."""
    listed = "\n".join(f"- {failure}" for failure in dict.fromkeys(failures))
    return (
        f"{request_turn}\n\nEarlier code written for this request did not work:\n{listed}\n"
        "Write code that avoids these mistakes, in one ```python block."
    )


def second_look_message(defined: list[str]) -> str:
    """After code that ran and passed the checks: what it defined, and the question whether that is what
    was asked. Small models rarely look at their own output; a wrong value that raises nothing passes."""
    what = "\n".join(defined) if defined else "nothing"
    return (
        f"The code ran without an error. What it defined:\n{what}\n"
        "Compare the output and these values with what the request asks for (the names, the values, the "
        "shape of any output the request shows). If they are right, reply with the single word DONE. If "
        "not, say in one sentence what is wrong and write the whole corrected code in one ```python block."
    )


def fit_messages(
    messages: list[dict],
    *,
    budget: int,
    count_tokens: Callable[[list[dict]], int],
    current_start: int,
) -> list[dict]:
    """Drop the oldest turns until `messages` fit in `budget` tokens.

    `messages` alternate user/assistant after an optional system message; `current_start` is the index
    of the current request. Earlier requests go first, then the current run's oldest rounds; the
    system prompt, the current request and the latest exchange always stay, the latter trimmed in its
    middle if it must. Pairs are dropped so that roles keep alternating, which many chat templates
    insist on.
    """
    kept = list(messages)
    if count_tokens(kept) <= budget:
        return kept
    first = 1 if kept and kept[0]["role"] == "system" else 0
    request_at = current_start
    # Older requests and their rounds.
    while request_at - first >= 2 and count_tokens(kept) > budget:
        del kept[first : first + 2]
        request_at -= 2
    # The current run's oldest rounds: (reply, feedback) pairs after the request, keeping the last one.
    while len(kept) - (request_at + 1) > 2 and count_tokens(kept) > budget:
        del kept[request_at + 1 : request_at + 3]
    # The latest exchange alone may still be too long (a huge traceback, a reply that ran to max_tokens):
    # its feedback, then its reply, keep their head and tail.
    for at in (len(kept) - 1, len(kept) - 2):
        if at > request_at:
            _shrink(kept, at, budget, count_tokens)
    needed = count_tokens(kept)
    if needed > budget:
        raise ContextOverflowError(
            f"the request needs about {needed} tokens but the model's context leaves {budget} for it "
            f"(n_ctx minus max_tokens). Shorten the request, lower max_tokens, or raise n_ctx, e.g. "
            f"%config OciMagics.n_ctx = {max(2 * (needed + 1024), 4096)}"
        )
    return kept


SHORTEST_TRIM = 200  # characters a trimmed message keeps at least


def _shrink(messages: list[dict], at: int, budget: int, count_tokens: Callable[[list[dict]], int]) -> None:
    """Trim the middle of messages[at] until `messages` fit in `budget` tokens, or it is SHORTEST_TRIM."""
    content = messages[at]["content"]
    needed = count_tokens(messages)
    while needed > budget and len(content) > SHORTEST_TRIM:
        # Tokens are not characters: aim by the ratio, a little under, and measure again.
        limit = max(SHORTEST_TRIM, int(len(content) * budget / needed * 0.9) - 60)
        shorter = trim_middle(content, limit)
        if len(shorter) >= len(content):
            return
        content = shorter
        messages[at] = {**messages[at], "content": content}
        needed = count_tokens(messages)


def function_request(prompt: str) -> str:
    """The request of a benchmark task (HumanEval): complete the function its prompt starts."""
    return (
        "Complete the following Python function. Write the whole function, with the imports it needs, "
        f"in one ```python block.\n\n```python\n{prompt.strip()}\n```"
    )
