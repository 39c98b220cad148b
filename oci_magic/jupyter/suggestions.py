"""Suggestions as the user types, answered in the kernel through the comm (`complete` in, `suggestion` out).

The model is the one `%%oci` loaded, in a llama.cpp context of its own (backends/fim.py): no second copy of
the weights, and the conversation's cache is left alone. A request is answered in a thread, so that the
kernel stays free: the next keystroke's request, or a cell, cancels it, and a cell that starts (a `%%oci`
included) waits at most for the token being computed. A busy kernel reads comm messages only once its cell
has ended: while a cell runs there are no suggestions, and the ones asked meanwhile are superseded by the
newest. Without a loaded model the request starts the warm start and answers that the model is loading.
"""

from __future__ import annotations

import threading
from typing import Any

from oci_magic.completion.prompt import Around
from oci_magic.completion.suggest import Suggestion, suggest
from oci_magic.jupyter import warm_start
from oci_magic.jupyter.manager import OciMagics
from oci_magic.jupyter.protocol import kernel_message
from oci_magic.models import memory
from oci_magic.notebook.summary import namespace_summary

__all__ = ["Suggestions", "suggestions_line"]

LOADING = "the model is loading"


class Suggestions:
    """The kernel's suggestion service: `request(data)` answers one `complete` message."""

    def __init__(self, oci: OciMagics) -> None:
        self.oci = oci
        self.latest = 0  # the newest request; an older one still writing stops at its next token
        self.last: Suggestion | None = None  # the last one written to its end, for the sidebar's line
        oci.shell.events.register("pre_run_cell", self.cancel)

    def cancel(self, *args: Any) -> None:
        self.latest += 1

    def request(self, data: dict[str, Any]) -> None:
        self.latest += 1
        ticket, asked = self.latest, data.get("id")
        tokens = int(data.get("max_tokens") or 0) or self.oci.suggestion_tokens
        if not self.oci.suggestions:  # off in this notebook: nothing to show, nothing to say each keystroke
            self._send(asked, "")
            return
        engine = self._engine()
        if isinstance(engine, str):
            self._send(asked, "", error=engine)
            return
        # Read in the kernel's thread: the writing thread never touches the namespace.
        variables = namespace_summary(self.oci.user_ns, limit=800) if self.oci.notebook_context else ""
        around = Around(
            before=str(data.get("before", "")),
            after=str(data.get("after", "")),
            above=tuple(str(cell) for cell in data.get("above", ())),
            variables=variables,
        )
        threading.Thread(
            target=self._write,
            args=(ticket, asked, engine, around, tokens),
            name="oci-magic suggestion",
            daemon=True,
        ).start()

    def _engine(self) -> Any:
        """The loaded model's suggestion engine, or why there is none."""
        from oci_magic.backends import llamacpp

        if self.oci.backend is not None or self.oci.endpoint:
            return (
                "suggestions come from a model loaded in the kernel, not from a plugged-in engine or server"
            )
        backend = llamacpp.cached_backend()
        if backend is None:
            started = warm_start.begin_now(self.oci, force=True)
            return LOADING if started is not None else "no model to load: %%oci says which to install"
        try:
            return backend.suggestions()
        except ValueError as exc:
            return str(exc)

    def _write(self, ticket: int, asked: Any, engine: Any, around: Around, tokens: int) -> None:
        def cancelled() -> bool:
            return self.latest != ticket

        try:
            found = suggest(
                engine,
                around,
                max_tokens=tokens,
                cancelled=cancelled,
                on_text=lambda text: self._send(asked, text, done=False),
            )
        except Exception as exc:  # noqa: BLE001 - said to the editor, never raised in a thread
            self._send(asked, "", error=f"{type(exc).__name__}: {exc}")
            return
        if not found.cancelled:
            self.last = found
            self._send(asked, found.text, done=True)

    def _send(self, asked: Any, text: str, *, done: bool = True, error: str = "") -> None:
        self.oci.bridge.send(kernel_message("suggestion", id=asked, text=text, done=done, error=error))


def suggestions_line(oci: OciMagics, service: Suggestions | None) -> str:
    """Whether suggestions are on in this kernel and what they cost, for the sidebar."""
    from oci_magic.backends import llamacpp

    if not oci.suggestions:
        return "Suggestions: off in this notebook (OciMagics.suggestions)"
    if oci.backend is not None or oci.endpoint:
        return "Suggestions: none (they come from a model loaded in the kernel)"
    backend = llamacpp.cached_backend()
    if backend is None:
        return "Suggestions: on as you type, once the model is loaded"
    if not backend.fills_in_the_middle():
        return f"Suggestions: none ({backend.name} was not trained to fill in the middle)"
    line = f"Suggestions: on as you type · {backend.name}, in this kernel"
    engine = backend.suggestions_made
    if engine is not None:
        kv = memory.estimate(backend.path, engine.n_ctx, metadata=backend.metadata).kv_cache
        line += f" · their context holds {engine.n_ctx} tokens (~{kv / 2**20:.0f} MiB of KV cache)"
    last = service.last if service is not None else None
    if last is not None and last.first_token_seconds is not None:
        line += f" · last: first text in {last.first_token_seconds:.2f} s"
    return line
