"""What an engine is to the loop: the `Backend` base class (every member the loop uses, each with a default
an engine may keep), and the `Reply` it streams, which carries its own figures (`ReplyStats`).

An engine needs only a `name` and `stream_chat`, a generator of text chunks:

    class Echo(Backend):
        name = "echo"

        def stream_chat(self, messages, **options):
            yield "```python\\nprint('hi')\\n```"

An engine that knows its token counts returns a `Reply` instead, whose stats it fills in as it goes.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Backend", "Reply", "ReplyStats", "estimate_tokens"]


def estimate_tokens(text: str) -> int:
    """A rough count (code averages about 3.5 characters a token) for backends that cannot count."""
    return int(len(text) / 3.5) + 1


@dataclass
class ReplyStats:
    """One reply's figures, as far as the engine knows them (None: it does not say)."""

    prompt_tokens: int | None = None  # the prompt as the model read it
    prompt_tokens_evaluated: int | None = None  # of them, evaluated for this reply (the rest were cached)
    generated_tokens: int | None = None
    finish_reason: str | None = None  # "stop" (the reply ended) or "length" (max_tokens reached)
    drafted_tokens: int | None = None  # speculation: tokens drafted from the conversation
    accepted_tokens: int | None = None  # ... and of them, accepted by the model


class Reply(Iterator[str]):
    """A reply being written: iterate for its text chunks; `stats` holds its figures once the stream ends
    (or is closed: a reply cut short keeps the figures of how far it got)."""

    def __init__(self, chunks: Iterable[str], stats: ReplyStats | None = None) -> None:
        self._chunks = iter(chunks)
        self.stats = stats if stats is not None else ReplyStats()

    @classmethod
    def of(cls, stream: Iterable[str]) -> Reply:
        """`stream` as a Reply: itself when it is one, else its chunks with no figures."""
        return stream if isinstance(stream, Reply) else cls(stream)

    def __next__(self) -> str:
        return next(self._chunks)

    def close(self) -> None:
        """Stop the stream where it is (a generator runs its cleanup, and so records its figures)."""
        if isinstance(self._chunks, Generator):
            self._chunks.close()


class Backend:
    """An engine that writes the replies. Subclass it and write `stream_chat`; every other member has a
    default that works, and an engine overrides those it can do better."""

    name: str = "backend"
    # The tokens the engine can read at once; the conversation is trimmed to fit. None: not trimmed.
    context_size: int | None = None

    def stream_chat(self, messages: list[dict], **options: Any) -> Iterable[str]:
        """The reply to `messages` (OpenAI-style role/content dicts), chunk by chunk: a generator of text,
        or a `Reply` with its figures. `options`: `temperature`, `max_tokens`, and where asked `seed`,
        `stop`, `grammar` (GBNF; engines without grammars may ignore it)."""
        raise NotImplementedError(f"{type(self).__name__} must define stream_chat(messages, **options)")

    def reply(self, messages: list[dict], **options: Any) -> Reply:
        """What the loop calls: `stream_chat`'s reply, as a `Reply`."""
        return Reply.of(self.stream_chat(messages, **options))

    def count_tokens(self, messages: list[dict]) -> int:
        """The prompt's length in tokens; by default an estimate from its characters."""
        return sum(estimate_tokens(m["content"]) + 4 for m in messages)

    def clone(self) -> Backend | None:
        """Another backend for the same model that can answer at the same time, from a thread of its own
        (`eval --jobs`); None where the engine answers one request at a time."""
        return None

    def close(self) -> None:
        """Free what the engine holds (a model's memory, connections). By default nothing."""

    def info(self) -> dict[str, Any]:
        """What `%oci status` prints about the engine."""
        return {"model": self.name}
