"""Views show a run as it happens. Each is a listener (called with the loop's events) that can also show a
model loading, which happens before the run starts.

`text.TextView` prints (terminal IPython, frontends without widgets), `widget.WidgetView` draws an
ipywidgets widget, `text.QuietView` prints only the outcome.
"""

from __future__ import annotations

from typing import Any

__all__ = ["View"]


class View:
    """The do-nothing view that the others build on."""

    def loading(self, name: str, size_bytes: int) -> None:
        """A model file starts loading."""

    def load_progress(self, fraction: float) -> None:
        """Called often while it loads, with the fraction done."""

    def loaded(self, name: str, seconds: float) -> None:
        """The model is ready."""

    def load_failed(self, message: str) -> None:
        """The model could not be loaded; `message` says why and what to do."""

    def __call__(self, event: Any) -> None:
        """A loop event (see `loop.LoopEvent`)."""
