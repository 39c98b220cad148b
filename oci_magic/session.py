"""The per-kernel state: the conversation, the runs so far, and which backend answers.

One `Session` lives per kernel (`current()`); it is the only state oci-magic keeps besides the model cache.
"""

from __future__ import annotations

from typing import Any

from .conversation import Conversation
from .records import Run

__all__ = ["Session", "current", "last_run", "set_backend"]


class Session:
    def __init__(self) -> None:
        self.conversation = Conversation()
        self.runs: list[Run] = []
        #: A backend installed with set_backend(); None means the llama.cpp model from the settings.
        self.backend: Any = None

    @property
    def last_run(self) -> Run | None:
        return self.runs[-1] if self.runs else None


_session: Session | None = None


def current() -> Session:
    global _session
    if _session is None:
        _session = Session()
    return _session


def last_run() -> Run | None:
    """The record of the last `%%oci` run in this kernel (also `_oci` in the user namespace)."""
    return current().last_run


def set_backend(backend: Any) -> None:
    """Answer every later `%%oci` with `backend` (any object with `name` and `stream_chat`);
    `set_backend(None)` returns to the llama.cpp model from the settings."""
    if backend is not None and not (hasattr(backend, "stream_chat") and hasattr(backend, "name")):
        raise TypeError(
            "a backend needs a `name` and a `stream_chat(messages, **options)` method yielding text chunks"
        )
    current().backend = backend
