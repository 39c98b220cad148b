"""The text view: every round printed readably, for terminal IPython and any frontend without widgets."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from oci_magic.loop import records
from oci_magic.loop.events import LoopEvent
from oci_magic.loop.records import Round, Run
from oci_magic.views import View
from oci_magic.views.describe import candidates_note, repeated_note, round_figures, round_outcome

__all__ = ["TextView", "QuietView"]

FLUSH_INTERVAL = 0.25  # seconds between writes of streamed tokens


class TextView(View):
    """Prints the run to a stream as it happens, the model's reply streamed a few times a second."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._line_open = False  # a streamed reply left the cursor mid-line
        self._pending = ""  # streamed tokens not written yet
        self._flushed = 0.0

    @property
    def out(self) -> TextIO:
        return self._stream or sys.stdout  # looked up late: IPython swaps sys.stdout per cell

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self.out.flush()
            self._line_open = not text.endswith("\n")
        self._flushed = time.monotonic()

    def _stream_token(self, text: str) -> None:
        # Streamed tokens are written a few times a second, not one by one: in a kernel every write
        # wakes the output machinery and every flush is a message to the frontend.
        self._pending += text
        if time.monotonic() - self._flushed > FLUSH_INTERVAL:
            pending, self._pending = self._pending, ""
            self._write(pending)

    def _print(self, text: str = "") -> None:
        pending, self._pending = self._pending, ""
        # End a streamed line before printing, whether it is still pending or already written.
        if (pending and not pending.endswith("\n")) or (not pending and self._line_open):
            pending += "\n"
        self._write(pending + text + "\n")

    def loading(self, name: str, size_bytes: int) -> None:
        self._print(f"oci · loading {name} ({size_bytes / 2**20:,.0f} MiB)…")

    def on_run_started(self, run: Run, round_: None, text: str) -> None:
        self._print(f"oci · {run.model} · up to {run.max_rounds} round{'s' * (run.max_rounds != 1)}")

    def on_round_started(self, run: Run, round_: Round, text: str) -> None:
        label = "writing code" if round_.index == 1 else "repairing"
        self._print(f"── round {round_.index} of {run.max_rounds} · {label} ──")

    def on_token(self, run: Run, round_: Round, text: str) -> None:
        self._stream_token(text)

    def on_repeated(self, run: Run, round_: Round, text: str) -> None:
        self._print(f"↻ {repeated_note(round_)}")

    def on_candidates(self, run: Run, round_: Round, text: str) -> None:
        if text:  # in progress: said once, the outcome follows
            if text.startswith("writing") and not text.startswith("writing candidate 2 "):
                return
            self._print(f"◇ {text} …")
            return
        self._print(candidates_note(round_))
        if round_.chosen:  # not the reply streamed above: the code that runs is shown
            self._print(f"```python\n{round_.code}\n```")

    def on_executing(self, run: Run, round_: Round, text: str) -> None:
        self._print("▶ running")

    def on_executed(self, run: Run, round_: Round, text: str) -> None:
        self._print(round_outcome(round_, run))
        figures = round_figures(round_)
        if figures:
            self._print(f"  {figures}")

    def on_run_finished(self, run: Run, round_: None, text: str) -> None:
        detail = f" — {run.message}" if run.message and run.status != records.ERROR else ""
        self._print(f"══ {run.summary()}{detail}")


class QuietView(TextView):
    """Prints only how the run ended (`%config OciMagics.view = "quiet"`)."""

    def loading(self, name: str, size_bytes: int) -> None:
        pass

    def __call__(self, event: LoopEvent) -> None:
        if event.kind == "run_finished":
            super().__call__(event)
