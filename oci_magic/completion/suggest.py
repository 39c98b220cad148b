"""One suggestion: the model fills the gap at the cursor (backends/fim.py) and the text is cut where the
statement ends (ending.py), streamed to `on_text` as it grows; with how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from oci_magic.completion.ending import cut
from oci_magic.completion.prompt import Around, fill_in

__all__ = ["Suggestion", "suggest", "PROMPT_BUDGET"]

PROMPT_BUDGET = 1536  # tokens around the gap (a suggestion context holds 2048)


@dataclass
class Suggestion:
    text: str = ""
    complete: bool = False  # it ended where the statement does (not cut short by max_tokens or a cancel)
    cancelled: bool = False
    first_token_seconds: float | None = None
    seconds: float = 0.0
    evaluated: int = 0  # prompt tokens evaluated (the rest came from the previous suggestion's cache)


def suggest(
    engine,
    around: Around,
    *,
    max_tokens: int = 48,
    cancelled: Callable[[], bool] = lambda: False,
    on_text: Callable[[str], None] = lambda text: None,
) -> Suggestion:
    """Write a suggestion for the cursor `around` describes with `engine` (a FimEngine)."""
    started = time.perf_counter()
    before, after = fill_in(around, lambda text: len(engine.tokens(text)), PROMPT_BUDGET)
    found, written = Suggestion(), ""
    for piece in engine.stream(before, after, max_tokens=max_tokens, cancelled=cancelled):
        if found.first_token_seconds is None:
            found.first_token_seconds = time.perf_counter() - started
        written += piece
        text, done = cut(written, around.before, around.after)
        if text != found.text:
            found.text = text
            on_text(text)
        if done:
            found.complete = True
            break
    found.cancelled = cancelled() and not found.complete
    found.complete = not found.cancelled  # the model ended the gap, or wrote max_tokens
    found.seconds, found.evaluated = time.perf_counter() - started, engine.evaluated
    return found
