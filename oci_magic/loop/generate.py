"""Asking the backend for one reply: streamed into the round as it comes, cut where it starts looping, with
its timing and token figures recorded, also when it is interrupted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from oci_magic.backends import Backend
from oci_magic.loop import records
from oci_magic.loop.records import Round
from oci_magic.loop.repetition import repetition_start

__all__ = ["generate"]


def generate(
    backend: Backend,
    messages: list[dict],
    round_: Round,
    emit: Callable[..., None],
    *,
    temperature: float,
    max_tokens: int,
    seed: int | None = None,
) -> None:
    """Stream the reply to `messages` into `round_.reply` (each chunk emitted as a "token" event); a reply
    caught looping is stopped there. `seed` samples reproducibly."""
    started = time.perf_counter()
    chunks = 0
    options: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
    if seed is not None:
        options["seed"] = seed
    reply = backend.reply(messages, **options)
    try:
        for chunk in reply:
            if round_.time_to_first_token is None:
                round_.time_to_first_token = time.perf_counter() - started
            chunks += 1
            round_.reply += chunk
            emit("token", round_, chunk)
            if "\n" in chunk and (cut := repetition_start(round_.reply)) is not None:
                # The copies after the first are identical: nothing is lost by dropping them.
                round_.reply, round_.reply_cut = round_.reply[:cut], records.CUT_REPEATING
                break
    finally:  # an interrupted reply keeps its figures too: how far it got
        reply.close()
        round_.generation_time = time.perf_counter() - started
        stats = reply.stats
        if round_.reply_cut is None and stats.finish_reason == "length":
            round_.reply_cut = records.CUT_AT_MAX_TOKENS
        round_.generated_tokens = stats.generated_tokens if stats.generated_tokens is not None else chunks
        round_.prompt_tokens = stats.prompt_tokens
        round_.prompt_tokens_evaluated = stats.prompt_tokens_evaluated
        round_.drafted_tokens = stats.drafted_tokens
        round_.accepted_tokens = stats.accepted_tokens
