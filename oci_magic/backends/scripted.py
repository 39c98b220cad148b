"""A backend that answers with replies written in advance, in order, and remembers what it was asked: for
testing what you build on the loop (a view, a listener, a check) without a model.

    from oci_magic.backends.scripted import ScriptedBackend
    oci_magic.set_backend(ScriptedBackend(["```python\\nprint(1 / 0)\\n```", "```python\\nprint(1)\\n```"]))
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from oci_magic.backends.base import Backend
from oci_magic.errors import BackendError

__all__ = ["ScriptedBackend"]


class ScriptedBackend(Backend):
    """Streams each reply word by word (`delay` seconds apart); `calls` holds the messages of each request,
    `options` its sampling options."""

    name = "scripted"

    def __init__(self, replies: list[str], *, delay: float = 0.0) -> None:
        self.replies = list(replies)
        self.delay = delay
        self.calls: list[list[dict]] = []
        self.options: list[dict] = []  # the sampling options of each call

    def stream_chat(self, messages: list[dict], **options) -> Iterator[str]:
        self.calls.append([dict(m) for m in messages])
        self.options.append(options)
        if not self.replies:
            raise BackendError(
                f"ScriptedBackend has no reply left for request {len(self.calls)}: give it one reply per "
                "request the loop makes (a round, a retry, a second look)"
            )
        reply = self.replies.pop(0)
        for piece in reply.split(" "):
            if self.delay:
                time.sleep(self.delay)
            yield piece + " "
