"""The widget view: a run shown live under the `%%oci` cell, one tab per round.

Each round's tab holds the model's reply (markdown, streamed), the extracted code, what the code showed
(captured into the tab, not spilled below the cell), its error (the last frame and message, the full
traceback one click away), the changes from the previous round and the round's figures. A status line
always says what is happening, and at the end how the run ended (said once, above the tabs); the final code
follows the tabs only where it is not the code of the open tab.

Every change to a widget is a message to the frontend, so streamed text and outputs are sent at most every
`UPDATE_INTERVAL` seconds, never once per token. The display also carries a static text/HTML summary for
places where widgets do not render (GitHub, nbviewer, nbconvert).
"""

from __future__ import annotations

import difflib
import html
import re
import time
from collections.abc import Callable
from typing import Any

from oci_magic.loop import records
from oci_magic.loop.records import Round, Run
from oci_magic.views import View, static
from oci_magic.views.describe import (
    OUTCOME_MARKS,
    candidates_note,
    error_location,
    repeated_note,
    round_figures,
    round_mark,
    round_outcome,
    run_mark,
)

__all__ = ["WidgetView", "RoundPanel", "UPDATE_INTERVAL"]

UPDATE_INTERVAL = 0.25  # seconds between updates of streamed text and outputs
STREAM_DISPLAY_CHARS = 50_000  # most characters of one printed stream shown in a tab
STOP_HINT = "interrupt the kernel (■) to stop"


def _markdown(text: str) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {"text/markdown": text, "text/plain": text},
        "metadata": {},
    }


def fenced(code: str, language: str) -> str:
    """`code` in a markdown fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def _for_display(output: dict[str, Any]) -> dict[str, Any]:
    """A copy of an output fit for a tab: a very long stream keeps its head and says what was left out."""
    if output.get("output_type") == "stream" and len(output["text"]) > STREAM_DISPLAY_CHARS:
        hidden = len(output["text"]) - STREAM_DISPLAY_CHARS
        note = f"\n… {hidden:,} more characters not shown (all of them are in _oci.rounds[n].output)\n"
        return {**output, "text": output["text"][:STREAM_DISPLAY_CHARS] + note}
    return dict(output)


def code_diff(before: str, after: str, before_name: str, after_name: str) -> tuple[str, int, int]:
    """A unified diff of two versions of code, and the counts of added and removed lines."""
    lines = list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), before_name, after_name, lineterm="", n=2
        )
    )
    added = sum(1 for line in lines[2:] if line.startswith("+"))
    removed = sum(1 for line in lines[2:] if line.startswith("-"))
    return "\n".join(lines), added, removed


def error_html(error: records.ErrorInfo, code: str | None) -> str:
    """The error collapsed to its message and the line of `code` that raised; the whole traceback opens
    on a click."""
    where = error_location(error, code)
    where_html = f" · <code>{html.escape(where)}</code>" if where else ""
    return (
        '<details class="oci-error"><summary style="cursor: pointer; color: var(--jp-error-color1, #d32f2f)">'
        f"<b>{html.escape(error.type)}</b>: {html.escape(error.message)}{where_html}</summary>"
        f'<pre style="white-space: pre-wrap">{html.escape(error.traceback)}</pre></details>'
    )


def _show(widget: Any, visible: bool = True) -> None:
    widget.layout.display = None if visible else "none"


class RoundPanel:
    """One round's tab."""

    def __init__(self, widgets: Any, round_: Round) -> None:
        self.round = round_
        self.reply = widgets.Output()
        self.reply_box = widgets.Accordion(children=[self.reply], titles=("model reply",), selected_index=0)
        self.code = widgets.Output()
        self.outputs = widgets.Output()
        self.error = widgets.HTML()
        self.diff = widgets.Output()
        self.diff_box = widgets.Accordion(children=[self.diff], titles=("changes",), selected_index=None)
        self.figures = widgets.HTML()
        self.candidates = widgets.VBox()
        self.candidates_box = widgets.Accordion(
            children=[self.candidates], titles=("candidates",), selected_index=None
        )
        self.use_buttons: list[Any] = []  # "Use candidate N instead", one per alternative
        self.box = widgets.VBox(
            [
                self.reply_box,
                self.code,
                self.outputs,
                self.error,
                self.candidates_box,
                self.diff_box,
                self.figures,
            ]
        )
        for part in (self.code, self.outputs, self.error, self.diff_box, self.candidates_box):
            _show(part, False)
        self._shown_reply = ""
        self._shown_outputs: list[dict] = []

    # Each update sends only what changed: a widget whose value is equal sends no message.
    def show_reply(self) -> None:
        if self.round.reply != self._shown_reply:
            self._shown_reply = self.round.reply
            self.reply.outputs = (_markdown(self.round.reply),)

    def show_outputs(self, round_: Round | None = None) -> None:
        outputs = (round_ or self.round).outputs
        if outputs != self._shown_outputs:
            self._shown_outputs = [dict(o) for o in outputs]
            self.outputs.outputs = tuple(_for_display(o) for o in outputs)
            _show(self.outputs, bool(outputs))

    def show_code(self, previous: Round | None) -> None:
        code = self.round.code or ""
        self.code.outputs = (_markdown(fenced(code, "python")),)
        _show(self.code)
        self.reply_box.selected_index = None  # the code now says it; the reply stays one click away
        self.reply_box.titles = (f"model reply · {self.round.generated_tokens or 'no'} tokens",)
        if previous is not None and previous.code is not None:
            diff, added, removed = code_diff(
                previous.code, code, f"round {previous.index}", f"round {self.round.index}"
            )
            self.diff.outputs = (_markdown(fenced(diff, "diff") if diff else "*no change*"),)
            self.diff_box.titles = (f"changes from round {previous.index} (+{added} −{removed})",)
            _show(self.diff_box)

    def show_result(self, run: Run, round_: Round | None = None) -> None:
        """What running the code did; `round_` is a run of the same code again, else the round itself."""
        round_ = round_ or self.round
        self.show_outputs(round_)
        if round_.error is not None:
            self.error.value = error_html(round_.error, round_.code)
            _show(self.error)
        elif (
            round_.timed_out
            or round_.interrupted
            or round_.repeat_of is not None
            or round_.executed
            or round_.shortfalls
            or round_.declined
        ):
            # A round that ran says what it defined: a silent wrong or missing result shows here.
            self.error.value = f"<p>{html.escape(round_outcome(round_, run))}</p>"
            _show(self.error)
        else:
            _show(self.error, False)

    def show_candidates(self, widgets: Any, use: Callable[[Round, int], None]) -> None:
        """The round's candidates side by side: each one's code and what its trial did; the alternatives
        get a button that runs one instead (once the cell has finished)."""
        round_ = self.round
        if not round_.candidates and not round_.single:
            return
        self.candidates_box.titles = (candidates_note(round_).removeprefix("◇ "),)
        rows = []
        for number, candidate in enumerate(round_.candidates):
            if candidate.ran:
                tried = f"group {candidate.group + 1}" + (" (chosen)" if number == round_.chosen else "")
                tried += f" · {candidate.left}" if candidate.left else " · defined nothing"
                printed = candidate.printed.strip()
                tried += f" · printed: {printed[:300]}" if printed else ""
            else:
                tried = f"its trial: {candidate.error}"
            head = widgets.HTML(f"<b>candidate {number + 1}</b> · {html.escape(tried)}")
            code = widgets.Output()
            code.outputs = (_markdown(fenced(candidate.code, "python")),)
            parts = [head, code]
            if number != round_.chosen:
                button = widgets.Button(
                    description=f"Use candidate {number + 1} instead",
                    icon="exchange",
                    disabled=True,
                    tooltip="Runs this candidate's code in this kernel and puts it in the run's cell "
                    "(once the cell has finished)",
                    layout=widgets.Layout(width="auto"),
                )
                button.on_click(lambda _button, chosen=number: use(round_, chosen))
                self.use_buttons.append(button)
                parts.append(button)
            rows.append(widgets.VBox(parts))
        self.candidates.children = tuple(rows)
        _show(self.candidates_box)

    def show_figures(self, note: str = "") -> None:
        figures = round_figures(self.round)
        text = " · ".join(part for part in (figures, note) if part)
        self.figures.value = f'<small style="opacity: 0.7">{html.escape(text)}</small>' if text else ""


class WidgetView(View):
    """A loop listener that shows the run in a widget; `show()` puts it under the cell."""

    def __init__(
        self,
        request: str,
        *,
        executor: Any = None,
        put_in_cell: Callable[[Run, Round, int], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = UPDATE_INTERVAL,
    ) -> None:
        import ipywidgets as widgets

        self._widgets = widgets
        self.request = request
        self.executor = executor  # runs a round's code again, once the cell has finished
        self.put_in_cell = put_in_cell  # puts a candidate chosen instead in the notebook; says what it did
        self._clock = clock
        self._interval = interval
        self.header = widgets.HTML()
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(min=0.0, max=1.0, description="loading")
        self.tabs = widgets.Tab()
        self.final_code = widgets.Output()
        self.run_again = widgets.Button(
            description="Run this round's code",
            icon="play",
            disabled=True,
            tooltip="Runs the code of the open tab again in this kernel (once the cell has finished)",
            layout=widgets.Layout(width="auto"),
        )
        self.run_again.on_click(self._run_selected_again)
        self.undo = widgets.Button(
            description="Undo",
            icon="undo",
            tooltip="Take this run back: its variables as they were before it, its cells removed (%oci undo)",
        )
        self.keep = widgets.Button(
            description="Keep",
            icon="check",
            tooltip="Keep this run: frees what undo holds for it; it can no longer be undone (%oci keep)",
        )
        self.undo_note = widgets.HTML()
        self._undo_actions: dict[str, Callable[[], str]] = {}
        self.undo.on_click(lambda button: self._undo_action("undo"))
        self.keep.on_click(lambda button: self._undo_action("keep"))
        controls = widgets.HBox([self.run_again, self.undo, self.keep])
        self.widget = widgets.VBox(
            [
                self.header,
                self.status,
                self.progress,
                self.tabs,
                self.final_code,
                controls,
                self.undo_note,
            ]
        )
        self.widget.add_class("oci-run")
        for part in (
            self.progress,
            self.tabs,
            self.final_code,
            self.run_again,
            self.undo,
            self.keep,
        ):
            _show(part, False)
        self.header.value = f"<b>oci</b> · {html.escape(request.strip().splitlines()[0][:100])}"
        self.panels: list[RoundPanel] = []
        self.run: Run | None = None
        self._handle = None
        self._last_update = float("-inf")
        self._first_token_at: float | None = None
        self._tokens = 0

    # -- display -----------------------------------------------------------------------------------------
    def _bundle(self, text: str, html_text: str) -> dict[str, Any]:
        data = self.widget._repr_mimebundle_()
        data["text/plain"], data["text/html"] = text, html_text
        return data

    def show(self) -> None:
        from IPython.display import display

        bundle = self._bundle(static.pending_text(self.request), static.pending_html(self.request))
        self._handle = display(bundle, raw=True, display_id=True)

    def _update_fallback(self, text: str, html_text: str) -> None:
        if self._handle is not None:
            self._handle.update(self._bundle(text, html_text), raw=True)

    def _set_status(self, mark: str, text: str, hint: str = "") -> None:
        hint_html = f' <span style="opacity: 0.6">· {html.escape(hint)}</span>' if hint else ""
        self.status.value = f"{mark} {html.escape(text)}{hint_html}"

    # -- model loading (before the run starts) -----------------------------------------------------------
    def loading(self, name: str, size_bytes: int) -> None:
        self._set_status("⏳", f"loading the model {name} ({size_bytes / 2**20:,.0f} MiB)", STOP_HINT)
        self.progress.value = 0.0
        _show(self.progress)

    def load_progress(self, fraction: float) -> None:
        if fraction >= 1.0 or self._due():
            self.progress.value = fraction

    def loaded(self, name: str, seconds: float) -> None:
        _show(self.progress, False)
        self._set_status("✓", f"loaded {name} in {seconds:.1f} s")

    def load_failed(self, message: str) -> None:
        _show(self.progress, False)
        self._set_status("✗", f"could not load the model: {message}")
        self._update_fallback(
            f"oci · could not load the model: {message}", f"<p>oci · {html.escape(message)}</p>"
        )

    # -- loop events -------------------------------------------------------------------------------------
    def _due(self) -> bool:
        now = self._clock()
        if now - self._last_update < self._interval:
            return False
        self._last_update = now
        return True

    @property
    def _panel(self) -> RoundPanel:
        return self.panels[-1]

    def _round_label(self, run: Run, round_: Round) -> str:
        return f"round {round_.index} of {run.max_rounds}"

    def on_run_started(self, run: Run, round_: None, text: str) -> None:
        self.run = run
        self.header.value = (
            f"<b>oci</b> · {html.escape(run.model)} · up to {run.max_rounds} "
            f"round{'s' * (run.max_rounds != 1)} · {html.escape(run.request.strip().splitlines()[0][:100])}"
        )

    def on_round_started(self, run: Run, round_: Round, text: str) -> None:
        previous = self.panels[-1].round if self.panels else None
        panel = RoundPanel(self._widgets, round_)
        self.panels.append(panel)
        with self.tabs.hold_sync():
            self.tabs.children = (*self.tabs.children, panel.box)
            self.tabs.titles = (*self.tabs.titles[: len(self.panels) - 1], f"Round {round_.index} …")
            self.tabs.selected_index = len(self.panels) - 1
        _show(self.tabs)
        self._first_token_at, self._tokens = None, 0
        if previous is None:
            self._set_status("⏳", f"reading the prompt · {self._round_label(run, round_)}", STOP_HINT)
        else:
            outcome = round_outcome(previous, run)
            self._set_status(
                "🔧",
                f"round {previous.index}: {outcome} · repairing in {self._round_label(run, round_)}",
                STOP_HINT,
            )

    def _writing_status(self, run: Run, round_: Round) -> None:
        speed = ""
        if self._first_token_at is not None and self._tokens > 1:
            elapsed = self._clock() - self._first_token_at
            if elapsed > 0:
                speed = f" · {(self._tokens - 1) / elapsed:.1f} tok/s"
        verb = "writing code" if round_.index == 1 else "repairing"
        self._set_status(
            "✍", f"{verb} · {self._round_label(run, round_)} · {self._tokens} tokens{speed}", STOP_HINT
        )

    def on_token(self, run: Run, round_: Round, text: str) -> None:
        self._tokens += 1
        if self._first_token_at is None:
            self._first_token_at = self._clock()
        if self._due():
            self._panel.show_reply()
            self._writing_status(run, round_)

    def on_code(self, run: Run, round_: Round, text: str) -> None:
        self._panel.show_reply()
        previous = next((p.round for p in reversed(self.panels[:-1]) if p.round.code is not None), None)
        self._panel.show_code(previous)
        self._panel.show_figures()

    def on_asking(self, run: Run, round_: Round, text: str) -> None:
        self._set_title(round_, "?")
        if round_.risks:
            why = "; ".join(str(risk) for risk in round_.risks)
            self._set_status("?", f"round {round_.index}'s code would change things outside: {why}")
            self._panel.error.value = (
                "<p><b>Asking before it runs</b> (answer in the box below the cell):</p><ul>"
                + "".join(f"<li>{html.escape(str(risk))}</li>" for risk in round_.risks)
                + "</ul>"
            )
            _show(self._panel.error)
        else:
            self._set_status("?", f"run the code of round {round_.index}? Answer in the box below the cell")

    def on_candidates(self, run: Run, round_: Round, text: str) -> None:
        if text:
            self._set_status("◇", f"{text} · {self._round_label(run, round_)}", STOP_HINT)
            return
        self._panel.show_candidates(self._widgets, self._use_candidate)
        self._set_status("◇", candidates_note(round_).removeprefix("◇ "), STOP_HINT)

    def _use_candidate(self, round_: Round, number: int) -> None:
        """Run another candidate of `round_` in the kernel instead: its result is shown in the round's tab,
        its code is the run's answer from then on (`Round.used`) and goes in the run's cell."""
        panel = next(p for p in self.panels if p.round is round_)
        candidate = round_.candidates[number]
        again = Round(index=round_.index, code=candidate.code)
        for button in panel.use_buttons:
            button.disabled = True
        try:
            result = self.executor.run(candidate.code)
            again.record_execution(result)
            panel.code.outputs = (_markdown(fenced(candidate.code, "python")),)
            panel.show_result(self.run, again)
            outcome = round_outcome(again, self.run)
            round_.used = number
            cell = self.put_in_cell(self.run, round_, number) if self.put_in_cell is not None else ""
            panel.show_figures(
                f"candidate {number + 1} ran at {time.strftime('%H:%M:%S')} in {result.duration:.2f} s: "
                f"{outcome}" + (f" · {cell}" if cell else "")
            )
        finally:
            for button in panel.use_buttons:
                button.disabled = False

    def on_repeated(self, run: Run, round_: Round, text: str) -> None:
        self._first_token_at, self._tokens = None, 0
        self._set_status("↻", repeated_note(round_), STOP_HINT)

    def on_executing(self, run: Run, round_: Round, text: str) -> None:
        self._set_title(round_, "▶")
        self._set_status("▶", f"running the code of {self._round_label(run, round_)}", STOP_HINT)

    def on_output(self, run: Run, round_: Round, text: str) -> None:
        if self._due():
            self._panel.show_outputs()

    def on_executed(self, run: Run, round_: Round, text: str) -> None:
        self._panel.show_result(run)
        self._panel.show_figures()
        self._set_title(round_, round_mark(round_, run))
        if round_.error is not None:
            self._set_status("✗", f"error in round {round_.index}: {round_.error}")
        else:
            self._set_status(*round_outcome(round_, run).split(" ", 1))

    def _set_title(self, round_: Round, mark: str) -> None:
        titles = list(self.tabs.titles)
        titles[round_.index - 1] = f"Round {round_.index} {mark}".rstrip()
        self.tabs.titles = tuple(titles)

    def on_run_finished(self, run: Run, round_: None, text: str) -> None:
        if self.panels:
            panel = self._panel
            panel.show_reply()
            panel.show_figures()
            if not panel.round.executed:
                self._set_title(panel.round, OUTCOME_MARKS.get(panel.round.status, ""))
        mark = run_mark(run)
        message = f" — {run.message}" if run.message else ""
        if run.status == records.INTERRUPTED:
            message = f" — {run.message or 'the kernel was interrupted'}"
        self.status.value = f"<b>{html.escape(mark + ' ' + run.summary() + message)}</b>"
        code = run.final_code
        # The open tab is the last round's: its code is on screen already, and is the inserted cell's.
        if code is not None and (not self.panels or code != self._panel.round.code):
            self.final_code.outputs = (_markdown(f"**Final code**\n\n{fenced(code, 'python')}"),)
            _show(self.final_code)
        if self.executor is not None and code is not None:
            self.run_again.disabled = False
            _show(self.run_again)
            for panel in self.panels:
                for button in panel.use_buttons:
                    button.disabled = False
        self._update_fallback(static.run_text(run), static.run_html(run))

    # -- controls (they act once the cell has finished: a busy kernel reads no widget messages) -----------
    def offer_undo(self, *, undo: Callable[[], str], keep: Callable[[], str]) -> None:
        """Show Undo and Keep; each calls its action, which returns what it did (or why it could not)."""
        self._undo_actions = {"undo": undo, "keep": keep}
        for button in (self.undo, self.keep):
            button.disabled = False
            _show(button)

    def _undo_action(self, name: str) -> None:
        action = self._undo_actions.get(name)
        if action is None:
            return
        self.undo.disabled = self.keep.disabled = True  # one way or the other, the run's undo data is settled
        self.run_again.disabled = name == "undo"  # its code ran in a namespace that is gone
        self.undo_note.value = f"<pre>{html.escape(action())}</pre>"

    def _run_selected_again(self, button: Any = None) -> None:
        index = self.tabs.selected_index
        if index is None or index >= len(self.panels) or self.panels[index].round.code is None:
            return
        panel = self.panels[index]
        # The record keeps what happened during the run; the tab shows this new execution.
        again = Round(index=panel.round.index, code=panel.round.code)
        self.run_again.disabled = True
        try:
            result = self.executor.run(again.code)
            again.record_execution(result)
            panel.show_result(self.run, again)
            outcome = round_outcome(again, self.run)
            panel.show_figures(
                f"ran again at {time.strftime('%H:%M:%S')} in {result.duration:.2f} s: {outcome}"
            )
        finally:
            self.run_again.disabled = False
