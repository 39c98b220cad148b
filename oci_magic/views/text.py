"""The text view: every round printed readably, for terminal IPython and any frontend without widgets."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .. import records
from ..loop import LoopEvent
from ..records import Round

__all__ = ["TextView", "round_figures"]

FLUSH_INTERVAL = 0.1  # seconds between flushes of streamed tokens


def round_figures(round_: Round) -> str:
    """One line of a round's figures: '0.21 s to first token · 36.5 tok/s · 52 tokens · ...'."""
    parts = []
    if round_.time_to_first_token is not None:
        parts.append(f"{round_.time_to_first_token:.2f} s to first token")
    if round_.tokens_per_second:
        parts.append(f"{round_.tokens_per_second:.1f} tok/s")
    if round_.generated_tokens is not None:
        parts.append(f"{round_.generated_tokens} tokens")
    if round_.prompt_tokens is not None:
        evaluated = round_.prompt_tokens_evaluated
        reused = f", {evaluated} evaluated" if evaluated is not None else ""
        parts.append(f"prompt {round_.prompt_tokens} tokens{reused}")
    if round_.execution_time is not None:
        parts.append(f"ran {round_.execution_time:.2f} s")
    return " · ".join(parts)


class TextView:
    """Prints the run to a stream as it happens, the model's reply streamed token by token."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._line_open = False  # a streamed reply left the cursor mid-line
        self._flushed = 0.0

    @property
    def out(self) -> TextIO:
        return self._stream or sys.stdout  # looked up late: IPython swaps sys.stdout per cell

    def _print(self, text: str = "", end: str = "\n") -> None:
        if end and self._line_open:
            text = "\n" + text
        self.out.write(text + end)
        # Streamed tokens are flushed a few times a second, not one message per token: in a kernel
        # every flush is a message to the frontend.
        now = time.monotonic()
        if end or now - self._flushed > FLUSH_INTERVAL:
            self.out.flush()
            self._flushed = now
        if text + end:
            self._line_open = not (text + end).endswith("\n")

    def __call__(self, event: LoopEvent) -> None:
        run, round_ = event.run, event.round
        if event.kind == "run_started":
            self._print(f"oci · {run.model} · up to {run.max_rounds} rounds")
        elif event.kind == "round_started":
            label = "writing code" if round_.index == 1 else "repairing"
            self._print(f"── round {round_.index} of {run.max_rounds} · {label} ──")
        elif event.kind == "token":
            self._print(event.text, end="")
        elif event.kind == "executing":
            self._print("▶ running")
        elif event.kind == "executed":
            self._print(self._outcome(round_, run))
            figures = round_figures(round_)
            if figures:
                self._print(f"  {figures}")
        elif event.kind == "run_finished":
            detail = f" — {run.message}" if run.message and run.status != records.ERROR else ""
            self._print(f"══ {run.summary()}{detail}")

    @staticmethod
    def _outcome(round_: Round, run: records.Run) -> str:
        if round_.interrupted:
            return "■ interrupted"
        if round_.timed_out:
            limit = run.settings.get("exec_timeout")
            return f"⏱ timed out after {limit:g} s" if limit else "⏱ timed out"
        if round_.error is not None:
            return f"✗ {round_.error}"
        return "✓ ran without error"
