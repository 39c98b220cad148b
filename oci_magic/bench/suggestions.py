"""Figure 14 of `oci-magic bench`: suggestions as the user types, measured in a fresh process on the model.

- time to the first suggested text after the user pauses, and to the whole suggestion, at points inside the
  lines of the example notebooks' code (the request five characters earlier asked first, untimed, as typing
  leaves the cache); `oci-magic eval completion` is the full replay on DS-1000;
- the memory the suggestions' context adds to the process (its KV cache and buffers; the weights are shared);
- what a suggestion being written costs a `%%oci` reply that starts meanwhile: the reply's first token with
  the suggestion cancelled as it starts, against the same reply alone (the bound: one token's time).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

__all__ = ["suggestion_figures", "suggestion_rows"]

_PROCESS = r"""
import json, statistics, sys, threading, time
from pathlib import Path
import nbformat
from oci_magic.backends.llamacpp import LlamaCppBackend
from oci_magic.completion.prompt import Around
from oci_magic.completion.suggest import suggest

def rss():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096

path, examples = sys.argv[1], sys.argv[2]
backend = LlamaCppBackend(path, n_ctx=4096)
if not backend.fills_in_the_middle():
    print(json.dumps({"skipped": f"{backend.name} was not trained to fill in the middle"}))
    sys.exit(0)
chat = [{"role": "user", "content": "write a python function that returns the mean of a list"}]
"".join(backend.stream_chat(chat, max_tokens=4))
before_rss = rss()
engine = backend.suggestions()
suggest(engine, Around("import numpy as np\nx = np.", ""), max_tokens=8)
added = rss() - before_rss
cells = []
for name in sorted(Path(examples).glob("*.ipynb")):
    cells += [c.source for c in nbformat.read(name, as_version=4).cells
              if c.cell_type == "code" and not c.source.lstrip().startswith("%")]
firsts, wholes = [], []
for cell in cells:
    for line_at, line in enumerate(cell.split("\n")):
        if len(line.strip()) < 12:
            continue
        at = len(line) - len(line.lstrip()) + len(line.strip()) // 2
        before = "\n".join(cell.split("\n")[:line_at] + [line[:at]])
        suggest(engine, Around(before[:-5], ""), max_tokens=32)
        found = suggest(engine, Around(before, ""), max_tokens=32)
        firsts.append(found.first_token_seconds)
        wholes.append(found.seconds)

def first_token(during):
    stop = threading.Event()
    if during:
        writing = threading.Thread(target=lambda: suggest(engine, Around("def report(table):\n    ", ""),
                                                          max_tokens=200, cancelled=stop.is_set))
        writing.start()
        time.sleep(0.3)
        stop.set()  # as a cell's start does
    started = time.perf_counter()
    reply = backend.stream_chat(chat, max_tokens=2)
    next(reply)
    seconds = time.perf_counter() - started
    list(reply)
    if during:
        writing.join()
    return seconds

alone = statistics.median(first_token(False) for _ in range(3))
during = statistics.median(first_token(True) for _ in range(3))
firsts.sort(); wholes.sort()
print(json.dumps({"points": len(firsts), "first_median": firsts[len(firsts) // 2],
                  "first_p95": firsts[min(len(firsts) - 1, int(0.95 * len(firsts)))],
                  "whole_median": wholes[len(wholes) // 2], "added_bytes": added,
                  "reply_first_token_alone": alone, "reply_first_token_during": during}))
"""


def suggestion_figures(model: str, examples: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _PROCESS, model, examples], capture_output=True, text=True, timeout=1200
    )
    if done.returncode != 0:
        raise RuntimeError(f"the suggestions' figures failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def suggestion_rows(figures: dict[str, Any], row, mark, targets: dict[str, float]) -> list[str]:
    if "skipped" in figures:
        return [row("14 suggestion: first text after a pause", "-", f"not measured: {figures['skipped']}")]
    first, p95 = figures["first_median"], figures["first_p95"]
    met = mark(first <= targets["suggestion_first_median"] and p95 <= targets["suggestion_first_p95"])
    extra = figures["reply_first_token_during"] - figures["reply_first_token_alone"]
    added = figures["added_bytes"] / 2**20
    return [
        row(
            "14 suggestion: first text after a pause",
            f"{first:.2f} s",
            f"median of {figures['points']} points in the examples' lines, p95 {p95:.2f} s: target <= "
            f"{targets['suggestion_first_median']} / {targets['suggestion_first_p95']} s {met}; whole "
            f"suggestion {figures['whole_median']:.2f} s; its context adds {added:.0f} MiB",
        ),
        row(
            "  a %%oci reply during a suggestion",
            f"+{1000 * extra:.0f} ms",
            f"first token {figures['reply_first_token_during']:.3f} s with a suggestion cancelled as it "
            "starts, "
            f"{figures['reply_first_token_alone']:.3f} s alone",
        ),
    ]
