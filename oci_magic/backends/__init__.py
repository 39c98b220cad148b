"""Engines that write the code. A backend is any object with a `name` and

    stream_chat(messages: list[dict], **options) -> Iterable[str]

that yields the reply in chunks. Options the loop passes: `temperature`, `max_tokens`. A backend may also
offer `count_tokens(messages) -> int`, `context_size: int` and `last_stats: dict` (prompt_tokens,
prompt_tokens_evaluated, generated_tokens, and drafted_tokens/accepted_tokens when it speculates); the
loop uses them when present.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

__all__ = ["Backend"]


@runtime_checkable
class Backend(Protocol):
    name: str

    def stream_chat(self, messages: list[dict], **options) -> Iterable[str]: ...
