"""`oci-magic bench --views`: what each live view costs the model's decode speed.

Decode tokens/s of the same greedy `%%oci` reply with no live view (`quiet`), the text view and the
widget, in one real kernel (nbclient), so that what the views cost the model is measured where it is paid:
the kernel serializing messages and the client receiving them. The views take turns, in a different order
each repeat, and the median of each is compared.
"""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["view_overhead", "print_view_overhead"]

VIEWS = ("quiet", "text", "widget")
REQUEST = "plot the total units sold per region of a sales DataFrame as a bar chart, step by step"


def _notebook(model: str, repeats: int, max_tokens: int):
    from nbformat.v4 import new_code_cell, new_notebook

    setup = (
        "%load_ext oci_magic\n"
        f"%config OciMagics.model = {model!r}\n"
        f"%config OciMagics.max_tokens = {max_tokens}\n"
        "%config OciMagics.cells = 'none'\n"
        "import json\n"
        "def report(view):\n"
        "    last = _oci.rounds[0]\n"
        "    figures = {'tokens_per_second': last.tokens_per_second, 'tokens': last.generated_tokens}\n"
        "    print(json.dumps({'view': view, 'model': _oci.model, **figures}))"
    )
    cells = [new_code_cell(setup), new_code_cell(f"%%oci --rounds 1 --no-run --new\n{REQUEST}")]  # loads
    for repeat in range(repeats):
        shift = repeat % len(VIEWS)
        for view in VIEWS[shift:] + VIEWS[:shift]:
            cells.append(new_code_cell(f"%config OciMagics.view = {view!r}"))
            cells.append(new_code_cell(f"%%oci --rounds 1 --no-run --new\n{REQUEST}"))
            cells.append(new_code_cell(f"report({view!r})"))
    return new_notebook(cells=cells)


def view_overhead(model: str, *, repeats: int = 5, max_tokens: int = 256) -> dict[str, Any]:
    """Decode tokens/s per view, measured in one fresh kernel."""
    from oci_magic.bench.speed import execute

    samples: dict[str, list[float]] = {view: [] for view in VIEWS}
    tokens, model_name = set(), ""
    for figure in execute(_notebook(model, repeats, max_tokens)):
        samples[figure["view"]].append(figure["tokens_per_second"])
        tokens.add(figure["tokens"])
        model_name = figure["model"]
    medians = {view: statistics.median(values) for view, values in samples.items()}
    return {
        "model": model_name,
        "repeats": repeats,
        "tokens_per_reply": sorted(tokens),
        "samples": samples,
        "median_tokens_per_second": medians,
        "ratio_to_quiet": {view: medians[view] / medians["quiet"] for view in VIEWS},
    }


def print_view_overhead(figures: dict[str, Any]) -> None:
    tokens = ", ".join(map(str, figures["tokens_per_reply"]))
    print(f"views · {figures['model']} · {figures['repeats']} repeats · {tokens} tokens a reply")
    print(f"{'view':<8} {'decode tok/s (median)':>22} {'vs quiet':>9}   samples")
    for view in VIEWS:
        median = figures["median_tokens_per_second"][view]
        ratio = figures["ratio_to_quiet"][view]
        samples = " ".join(f"{value:.1f}" for value in figures["samples"][view])
        print(f"{view:<8} {median:>22.1f} {ratio:>9.3f}   {samples}")
    ratio = figures["ratio_to_quiet"]["widget"]
    print(f"with the widget the model decodes at {ratio:.1%} of its speed with no view (target: over 97%)")
