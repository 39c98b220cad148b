"""What a piece of generated code showed, collected as nbformat outputs and as text for the model.

Two records are kept. `outputs` is what a notebook cell would hold (streams, rich displays, the Out[] value),
for the views and saved transcripts; `clear_output` empties it, as it does a cell. `text` is what the model
reads back: everything printed and the Out[] value's text/plain, in order, never cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["OutputCollector"]


class OutputCollector:
    def __init__(self, *, text_limit: int = 1_000_000, on_change: Callable[[list], None] | None = None):
        self.outputs: list[dict[str, Any]] = []
        self._text: list[str] = []
        self._text_size = 0
        self._text_limit = text_limit
        self.hidden_chars = 0  # printed beyond the limit: counted, not kept
        self._display_ids: dict[str, int] = {}
        self._on_change = on_change

    @property
    def text(self) -> str:
        return "".join(self._text)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.outputs)

    def _keep_text(self, text: str) -> str:
        room = max(self._text_limit - self._text_size, 0)
        kept, self.hidden_chars = text[:room], self.hidden_chars + max(len(text) - room, 0)
        self._text_size += len(kept)
        if kept:
            self._text.append(kept)
        return kept

    def add_stream(self, name: str, text: str) -> None:
        kept = self._keep_text(text)
        if not kept:
            return
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            self.outputs[-1] = {**last, "text": last["text"] + kept}  # a new dict: views compare by value
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": kept})
        self._changed()

    def add_display(
        self, data: dict, metadata: dict | None = None, *, transient: dict | None = None, update: bool = False
    ) -> None:
        output = {"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})}
        display_id = (transient or {}).get("display_id")
        if update:
            index = self._display_ids.get(display_id)
            if index is not None and index < len(self.outputs):
                self.outputs[index] = output
                self._changed()
            return  # an update of something not shown here (or cleared) shows nothing, as in a cell
        if display_id:
            self._display_ids[display_id] = len(self.outputs)
        self.outputs.append(output)
        self._changed()

    def add_result(self, data: dict, metadata: dict | None = None) -> None:
        """The cell's Out[] value."""
        text = data.get("text/plain", "")
        if text:
            separator = "" if not self._text or self._text[-1].endswith("\n") else "\n"
            self._keep_text(separator + text)
        result = {"output_type": "execute_result", "data": dict(data), "metadata": dict(metadata or {})}
        self.outputs.append({**result, "execution_count": None})
        self._changed()

    def clear(self) -> None:
        self.outputs = []
        self._display_ids.clear()
        self._changed()
