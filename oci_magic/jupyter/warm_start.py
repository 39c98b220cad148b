"""When the warm start begins in a kernel, and what it evaluates ahead (models/warm.py does the work).

It begins when the cell that ran `%load_ext oci_magic` ends, so that the `%config` lines of that cell (a
model, `warm_start = False`) are the settings it uses, and only where the settings name a GGUF model that
is not loaded yet: an installed backend or a server has nothing to load.
"""

from __future__ import annotations

from typing import Any

from oci_magic.errors import OciError
from oci_magic.jupyter.manager import OciMagics
from oci_magic.loop.prompts import request_message
from oci_magic.models import engine
from oci_magic.models.warm import WarmStart
from oci_magic.notebook.summary import namespace_summary

__all__ = ["begin_after_this_cell", "begin_now", "first_prompt_start"]

# Stands for the request in a rendered prompt: what comes before it is known before the request.
_REQUEST = "\x00request\x00"


def begin_after_this_cell(oci: OciMagics) -> None:
    """Begin the warm start once the running cell (the one that loaded the extension) has ended."""
    events = oci.shell.events

    def once(result: Any = None) -> None:
        events.unregister("post_run_cell", once)
        begin_now(oci)

    events.register("post_run_cell", once)


def begin_now(oci: OciMagics, *, force: bool = False) -> WarmStart | None:
    """Start loading the model the settings choose, unless the setting is off (`force`: a suggestion asked
    for the model) or there is nothing to load. A model that cannot be chosen (none installed, a bad name)
    is left for the first `%%oci` to report."""
    if not (oci.warm_start or force) or oci.backend is not None or oci.endpoint:
        return None
    try:
        choice = engine.choose(oci, oci.engine_settings())
    except OciError:
        return None
    if not isinstance(choice, engine.ModelFile):
        return None
    # The messages are taken now, in the kernel's thread: the background thread never reads the namespace.
    messages = first_messages(oci)

    def prefix(backend: Any) -> str:
        return first_prompt_start(backend, messages)

    return engine.warm_up(choice, prefix, check_memory=oci.check_memory)


def first_messages(oci: OciMagics) -> list[dict]:
    """The first request's messages as a `%%oci` sent now would start them, with `_REQUEST` for its text."""
    context = namespace_summary(oci.user_ns, limit=oci.context_chars) if oci.notebook_context else ""
    system = [{"role": "system", "content": oci.system_prompt}] if oci.system_prompt else []
    return [*system, {"role": "user", "content": request_message(_REQUEST, context)}]


def first_prompt_start(backend: Any, messages: list[dict]) -> str:
    """The text of the first prompt in `backend`'s chat format up to where the request begins."""
    rendered = backend.format.render(messages)
    return rendered[: rendered.index(_REQUEST)] if _REQUEST in rendered else ""
