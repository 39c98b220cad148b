"""A run as static text and HTML: what a saved notebook shows where widgets do not render.

The widget view puts these beside its widget in one display (`text/plain`, `text/html`): JupyterLab shows
the live widget, while GitHub, nbviewer and `jupyter nbconvert` (without stored widget state) fall back to
the request, each round's code and outcome, and the summary.
"""

from __future__ import annotations

import html
import textwrap

from oci_magic.loop.records import Run
from oci_magic.views.describe import error_location, round_figures, round_outcome

__all__ = ["run_text", "run_html", "pending_text", "pending_html"]


def _first_line(request: str, width: int = 100) -> str:
    line = request.strip().splitlines()[0] if request.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


# A saved notebook's summary stays readable: long code and output are cut (the widget state has them all).
CODE_LINES, OUTPUT_LINES, LINE_CHARS = 40, 12, 300


def _excerpt(text: str, lines: int = OUTPUT_LINES) -> str:
    """The first lines of an output, each cut at LINE_CHARS; what follows is counted."""
    kept = text[: (lines + 1) * (LINE_CHARS + 1)].rstrip("\n").splitlines()[:lines]
    kept = [line if len(line) <= LINE_CHARS else f"{line[:LINE_CHARS]}…" for line in kept]
    more = text.rstrip("\n").count("\n") + 1 - len(kept)
    return "\n".join(kept + ([f"… {more} more lines"] if more > 0 else []))


def pending_text(request: str) -> str:
    return f"oci · running: {_first_line(request)}"


def pending_html(request: str) -> str:
    return f"<p><b>oci</b> · running: {html.escape(_first_line(request))}</p>"


def run_text(run: Run) -> str:
    lines = [f"oci · {run.model} · {_first_line(run.request)}"]
    for round_ in run.rounds:
        lines.append(f"── round {round_.index} of {run.max_rounds} · {round_outcome(round_, run)}")
        if round_.code is not None:
            lines.append(textwrap.indent(_excerpt(round_.code, CODE_LINES), "    "))
        if round_.output.strip():
            lines.append(textwrap.indent(_excerpt(round_.output), "  │ ", lambda line: True))
        where = error_location(round_.error, round_.code) if round_.error is not None else None
        if where:
            lines.append(f"  at {where}")
        figures = round_figures(round_)
        if figures:
            lines.append(f"  {figures}")
    message = f" — {run.message}" if run.message else ""
    lines.append(f"══ {run.summary()}{message}")
    return "\n".join(lines)


def run_html(run: Run) -> str:
    parts = [
        '<div class="oci-summary">',
        f"<p><b>oci</b> · {html.escape(run.model)} · {html.escape(_first_line(run.request))}</p>",
    ]
    for round_ in run.rounds:
        outcome = html.escape(round_outcome(round_, run))
        parts.append(f"<p><b>Round {round_.index} of {run.max_rounds}</b> · {outcome}</p>")
        if round_.code is not None:
            parts.append(f"<pre>{html.escape(_excerpt(round_.code, CODE_LINES))}</pre>")
        if round_.output.strip():
            parts.append(f"<pre><samp>{html.escape(_excerpt(round_.output))}</samp></pre>")
        if round_.error is not None:
            where = error_location(round_.error, round_.code)
            if where:
                parts.append(f"<p><code>{html.escape(where)}</code></p>")
    message = f" — {run.message}" if run.message else ""
    parts.append(f"<p><b>{html.escape(run.summary() + message)}</b></p>")
    parts.append("</div>")
    return "\n".join(parts)
