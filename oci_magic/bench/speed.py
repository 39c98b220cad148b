"""The speed figures measured in one real kernel (nbclient), where `%%oci` runs for users: raw llama.cpp
decode against decode through `%%oci` with the widget (in turns, the same prompt and token count), the
second call's own cost, a repair round's time to first token warm and cold, prompt evaluation, load time
and peak memory. Each notebook cell prints one JSON line that is read back here.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

__all__ = ["REQUEST", "FEEDBACK", "kernel_figures", "execute"]

REQUEST = "plot the total units sold per region of a sales DataFrame as a bar chart, step by step"
# A repair round's feedback: what the loop sends after a failed round.
FEEDBACK = (
    "Execution result: \nTraceback (most recent call last):\n  Cell In[3], line 4\n"
    "    totals = sales.groupby('region')['units'].sum()\nNameError: name 'sales' is not defined"
)

# Speculative decoding is measured on a request whose repair is typical of the loop: the code is right but
# for a column name, which the feedback gives, so the repair writes most of its code again.
SPECULATION_REQUEST = (
    "Write a function top_customers(orders, n) that returns the n customers with the highest total amount "
    "from an orders DataFrame with columns customer and amount, and call it on orders with n=3 into top3."
)
SPECULATION_FEEDBACK = (
    "Execution result: \nTraceback (most recent call last):\n  Cell In[4], line 5\nKeyError: 'customer'\n"
    "`orders` has the columns 'customer_id', 'amount', 'date': there is no column 'customer'."
)
SPECULATION_TOKENS = 384  # replies end on their own, well within

# A plan's steps (figure 11): each step a request in the same conversation, its code written after the last.
PLAN_REQUEST = (
    "Load sales.csv, clean the dates, total the revenue per month, plot it and say which month grew most"
)
PLAN_STEPS = [
    "Load sales.csv into `sales`",
    "Parse the date column of `sales` as dates",
    "Total the revenue per month into `monthly`",
    "Plot `monthly` as a line chart",
    "Print the month whose revenue grew most",
]


def _notebook(model: str, *, repeats: int, max_tokens: int, reply_tokens: int):
    from nbformat.v4 import new_code_cell, new_notebook

    def report(kind: str, expression: str):
        return new_code_cell(f"print(json.dumps({{'kind': {kind!r}, **{expression}}}))")

    oci = f"%%oci --rounds 1 --no-run --new\n{REQUEST}"
    cells = [
        new_code_cell(
            "import json\nfrom oci_magic.bench import probes\nbaseline = probes.rss()\n"
            "%load_ext oci_magic\n"
            f"%config OciMagics.model = {model!r}\n"
            f"%config OciMagics.max_tokens = {max_tokens}\n"
            "%config OciMagics.cells = 'none'\n"
            # Figure 2 is what the loop and the widget cost against raw decode: one token at a time like
            # it; the speculation figures compare the two ways on the same replies.
            "%config OciMagics.speculation = 'off'\n"
            "%config OciMagics.view = 'widget'"
        ),
        new_code_cell(oci),  # loads the model
        report("loaded", "probes.loaded()"),
    ]
    for repeat in range(repeats):
        oci_cells = [new_code_cell(oci), report("oci", "probes.oci_decode()")]
        raw_cells = [report("raw", "probes.raw_decode(probes.oci_decode()['tokens'])")]
        # Raw decode needs the token count of a %%oci reply: the first repeat starts with %%oci.
        cells += oci_cells + raw_cells if repeat % 2 == 0 else raw_cells + oci_cells
    speculation = min(repeats, 3)  # each repeat is four replies
    cells += [
        report("second_call", f"probes.second_call({REQUEST!r})"),
        report("repair", f"probes.repair({REQUEST!r}, {FEEDBACK!r}, {reply_tokens})"),
        report(
            "speculation",
            f"probes.speculation({SPECULATION_REQUEST!r}, {SPECULATION_FEEDBACK!r}, "
            f"{SPECULATION_TOKENS}, {speculation})",
        ),
        report("plan", f"probes.plan_steps({PLAN_REQUEST!r}, {PLAN_STEPS!r}, {max_tokens})"),
        report("memory", "probes.peak_memory(baseline)"),
    ]
    return new_notebook(cells=cells)


def execute(notebook) -> list[dict[str, Any]]:
    """Run a measuring notebook in a fresh kernel; return the JSON lines its cells printed, in order."""
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=1800, kernel_name="python3", store_widget_state=False).execute()
    figures = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                figures += [
                    json.loads(line) for line in output.get("text", "").splitlines() if line.startswith("{")
                ]
    return figures


def kernel_figures(
    model: str, *, repeats: int = 5, max_tokens: int = 256, reply_tokens: int = 300
) -> dict[str, Any]:
    """Run the measuring notebook in a fresh kernel and gather its figures."""
    notebook = _notebook(model, repeats=repeats, max_tokens=max_tokens, reply_tokens=reply_tokens)
    found: dict[str, list[dict[str, Any]]] = {}
    for figure in execute(notebook):
        found.setdefault(figure.pop("kind"), []).append(figure)
    oci = [figure["tokens_per_second"] for figure in found["oci"]]
    raw = [figure["tokens_per_second"] for figure in found["raw"]]
    return {
        "loaded": found["loaded"][0],
        "decode": {
            "tokens": found["oci"][0]["tokens"],
            "raw_samples": raw,
            "oci_samples": oci,
            "raw_tokens_per_second": statistics.median(raw),
            "oci_tokens_per_second": statistics.median(oci),
        },
        "second_call": found["second_call"][0],
        "repair": found["repair"][0],
        "speculation": found["speculation"][0],
        "plan": found["plan"][0],
        "memory": found["memory"][0],
    }
