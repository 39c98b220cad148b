"""Views show a run as it happens. Each is a listener (called with the loop's events) that can also show a
model loading, which happens before the run starts.

`text.TextView` prints (terminal IPython, frontends without widgets), `widget.WidgetView` draws an
ipywidgets widget, `text.QuietView` prints only the outcome.
"""

from __future__ import annotations

from collections.abc import Callable

from oci_magic.loop.events import LoopEvent
from oci_magic.loop.records import Round, Run

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

    def __call__(self, event: LoopEvent) -> None:
        """A loop event, handed to the method for its kind (`HANDLERS`: every kind in one table)."""
        HANDLERS[event.kind](self, event.run, event.round, event.text)

    def on_run_started(self, run: Run, round_: None, text: str) -> None:
        """A run starts: `run.request`, `run.model` and `run.max_rounds` are known."""

    def on_round_started(self, run: Run, round_: Round, text: str) -> None:
        """A round starts: the model is about to write."""

    def on_token(self, run: Run, round_: Round, text: str) -> None:
        """The model wrote `text`; the reply so far is `round_.reply`."""

    def on_repeated(self, run: Run, round_: Round, text: str) -> None:
        """The reply repeated failed code (`round_.repeated_reply`); the model is asked afresh."""

    def on_candidates(self, run: Run, round_: Round, text: str) -> None:
        """`text`: what is being done ("writing candidate 2 of 4"); without: the round's candidates were
        tried and one chosen (`round_.candidates`, `round_.agreement`), or could not be (`round_.single`)."""

    def on_code(self, run: Run, round_: Round, text: str) -> None:
        """The code of the reply is known (`round_.code`, with `round_.left_out` commented)."""

    def on_asking(self, run: Run, round_: Round, text: str) -> None:
        """The user is about to be asked whether the code may run (`round_.risks`: what it would do outside
        the kernel); the answer is in `round_.answer` when "executed" comes."""

    def on_executing(self, run: Run, round_: Round, text: str) -> None:
        """The code starts running."""

    def on_output(self, run: Run, round_: Round, text: str) -> None:
        """The running code's outputs changed (`round_.outputs`)."""

    def on_executed(self, run: Run, round_: Round, text: str) -> None:
        """The round is over: ran, refused, declined or not run (`round_.status`)."""

    def on_run_finished(self, run: Run, round_: None, text: str) -> None:
        """The run is over (`run.status`)."""

    def offer_undo(self, *, undo: Callable[[], str], keep: Callable[[], str]) -> None:
        """The finished run can be undone or kept: a view with buttons calls `undo()` or `keep()` (each
        returns what to tell the user); the others leave it to `%oci undo` and `%oci keep`."""


# Built once, not per event (a token is an event): each kind's method, looked up on the view it is called
# with, so that a subclass's own method answers.
HANDLERS: dict[str, Callable[[View, Run, Round | None, str], None]] = {
    "run_started": lambda view, *event: view.on_run_started(*event),
    "round_started": lambda view, *event: view.on_round_started(*event),
    "token": lambda view, *event: view.on_token(*event),
    "repeated": lambda view, *event: view.on_repeated(*event),
    "candidates": lambda view, *event: view.on_candidates(*event),
    "code": lambda view, *event: view.on_code(*event),
    "asking": lambda view, *event: view.on_asking(*event),
    "executing": lambda view, *event: view.on_executing(*event),
    "output": lambda view, *event: view.on_output(*event),
    "executed": lambda view, *event: view.on_executed(*event),
    "run_finished": lambda view, *event: view.on_run_finished(*event),
}
