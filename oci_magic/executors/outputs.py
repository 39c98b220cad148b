"""What a piece of generated code showed, collected as nbformat outputs and as text for the model.

Two records are kept. `outputs` is what a notebook cell would hold (streams, rich displays, the Out[] value),
for the views and saved transcripts; `clear_output` empties it, as it does a cell. `text` is what the model
reads back: everything printed and the Out[] value's text/plain, in order, never cleared.

Both are bounded, so that code printing a million lines or displaying a 100 MB string cannot flood the
kernel's memory or the view: text beyond `text_limit` is counted, not kept, and so is any single rich output
value beyond it. Listeners hear of changes at most every NOTIFY_INTERVAL seconds (and once at `flush`), so a
loop of a million prints costs a million appends, not a million redraws.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["OutputCollector"]

NOTIFY_INTERVAL = 0.1  # seconds between change notifications while output pours in


class OutputCollector:
    def __init__(self, *, text_limit: int = 1_000_000, on_change: Callable[[list], None] | None = None):
        self._outputs: list[dict[str, Any]] = []
        self._stream_parts: list[str] = []  # the last stream output's text, not joined yet
        self._text: list[str] = []
        self._text_size = 0
        self._text_limit = text_limit
        self.hidden_chars = 0  # printed beyond the limit: counted, not kept
        self._display_ids: dict[str, int] = {}
        self._on_change = on_change
        self._notified = 0.0
        self._unsent = False

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def outputs(self) -> list[dict[str, Any]]:
        if self._stream_parts:  # join the pending pieces of the last stream into it, once
            last = self._outputs[-1]
            self._outputs[-1] = {**last, "text": last["text"] + "".join(self._stream_parts)}
            self._stream_parts = []
        return self._outputs

    def _changed(self) -> None:
        self._unsent = True
        now = time.monotonic()
        if self._on_change is not None and now - self._notified >= NOTIFY_INTERVAL:
            self._notified = now
            self.flush()

    def flush(self) -> None:
        """Tell the listener about changes it has not heard of yet."""
        if self._unsent and self._on_change is not None:
            self._unsent = False
            self._on_change(self.outputs)

    def _keep_text(self, text: str) -> str:
        room = max(self._text_limit - self._text_size, 0)
        kept, self.hidden_chars = text[:room], self.hidden_chars + max(len(text) - room, 0)
        self._text_size += len(kept)
        if kept:
            self._text.append(kept)
        return kept

    def _capped(self, data: dict) -> dict:
        """A rich output's data with any text value beyond the limit cut, saying how much was."""
        capped = {}
        for mime, value in data.items():
            if isinstance(value, str) and len(value) > self._text_limit:
                value = (
                    value[: self._text_limit] + f"\n… {len(value) - self._text_limit:,} characters not kept"
                )
            capped[mime] = value
        return capped

    def add_stream(self, name: str, text: str) -> str:
        """Record printed text; returns the part kept."""
        kept = self._keep_text(text)
        if not kept:
            return kept
        last = self._outputs[-1] if self._outputs else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            # Joined when `outputs` is read, into a new dict (views compare by value).
            self._stream_parts.append(kept)
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": kept})
        self._changed()
        return kept

    def add_display(
        self, data: dict, metadata: dict | None = None, *, transient: dict | None = None, update: bool = False
    ) -> None:
        output = {"output_type": "display_data", "data": self._capped(data), "metadata": dict(metadata or {})}
        display_id = (transient or {}).get("display_id")
        outputs = self.outputs
        if update:
            index = self._display_ids.get(display_id)
            if index is not None and index < len(outputs):
                outputs[index] = output
                self._changed()
            return  # an update of something not shown here (or cleared) shows nothing, as in a cell
        if display_id:
            self._display_ids[display_id] = len(outputs)
        outputs.append(output)
        self._changed()

    def add_result(self, data: dict, metadata: dict | None = None) -> None:
        """The cell's Out[] value."""
        data = self._capped(data)
        text = data.get("text/plain", "")
        if text:
            separator = "" if not self._text or self._text[-1].endswith("\n") else "\n"
            self._keep_text(separator + text)
        result = {"output_type": "execute_result", "data": data, "metadata": dict(metadata or {})}
        self.outputs.append({**result, "execution_count": None})
        self._changed()

    def clear(self) -> None:
        self._outputs, self._stream_parts = [], []
        self._display_ids.clear()
        self._changed()
