"""What the loop tells its listeners (the views, the sidebar's bridge) while a run happens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from oci_magic.loop.records import Round, Run

__all__ = ["EVENT_KINDS", "EventKind", "Listener", "LoopEvent"]

EventKind = Literal[
    "run_started",
    "round_started",
    "token",
    "repeated",
    "candidates",
    "code",
    "asking",
    "executing",
    "output",
    "executed",
    "run_finished",
]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)


@dataclass
class LoopEvent:
    """kind is one of: run_started, round_started, token, repeated, code, executing, output, executed,
    run_finished. "repeated" comes when a reply repeated a failed round's code and the model is asked again
    (`round.repeated_reply` holds that reply; the tokens of the new one follow). "candidates" comes with
    `text` while the round's other candidates are written and tried ("writing candidate 2 of 4"), then
    without, once one is chosen (`round.candidates`, `round.agreement`) or they could not be tried
    (`round.single` says why). "asking" comes before the user is asked whether the round's code may run
    (`round.risks`: what it would do outside the kernel; empty when every round is asked about).

    "output" comes each time the running code's outputs change; they are in `round.outputs`."""

    kind: EventKind
    run: Run
    round: Round | None = None
    text: str = ""


Listener = Callable[[LoopEvent], None]
