"""Several notebooks with one model, and a kernel's first request: figures 12 and 13 of `oci-magic bench`.

12. Notebooks sharing a model: 1, 2 and 4 processes, each loading the model as a kernel does and writing one
    reply, started one after the other, with weight repacking off and (where this llama.cpp build allows it)
    on. Per step: what the processes hold together (the sum of their PSS: a page shared by n processes counts
    1/n in each, so the sum is the memory they use), what the newest holds of its own (USS), and in the first
    process the prompt's evaluation (tokens/s) and decoding (tokens/s). The model file's pages in the page
    cache count in PSS; the memory the system reports as "in use" leaves them out, so PSS is the honest sum.
13. The first `%%oci` of a fresh IPython shell, sent `wait` seconds after the cell with `%load_ext`: seconds
    from the cell's start to the first token the model writes, with the warm start on and off.

Each process is a fresh `python`, so nothing is shared with this one but the file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["shared_model", "first_request", "repacking_allowed"]

MIB = 2**20

_MODEL_PROCESS = r"""
import json, os, sys, time
from oci_magic.backends.llamacpp import LlamaCppBackend
from oci_magic.loop.prompts import SYSTEM_PROMPT
path, n_ctx, repack, tokens = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
backend = LlamaCppBackend(path, n_ctx=n_ctx, cpu_repack=repack, speculation="off")
context = "\n".join(f"- column_{i}: float64, mean {i * 1.5:.2f}, 0 missing" for i in range(40))
messages = [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Variables already defined in the notebook:\n- table: DataFrame "
             f"1,000 rows x 40 columns\n{context}\n\nplot the mean of each column of table as a bar chart"}]
reply = backend.stream_chat(messages, max_tokens=tokens)
started, first = time.perf_counter(), None
for chunk in reply:
    first = first or time.perf_counter()
done = time.perf_counter()
stats = reply.stats
print(json.dumps({"pid": os.getpid(), "load_seconds": backend.load_time, "repack": backend.repack,
                  "prompt_tokens": stats.prompt_tokens,
                  "prompt_tokens_per_second": stats.prompt_tokens / (first - started),
                  "decode_tokens_per_second": (stats.generated_tokens - 1) / max(done - first, 1e-9)}),
      flush=True)
sys.stdin.readline()  # held until the measurement of every process is done
"""

_FIRST_REQUEST = r"""
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
from oci_magic.backends.base import Reply
from oci_magic.backends.llamacpp import LlamaCppBackend
model, warm, wait, tokens = sys.argv[1], sys.argv[2] == "on", float(sys.argv[3]), int(sys.argv[4])
first = []
stream = LlamaCppBackend.stream_chat

def timed(self, messages, **options):  # the wall time of the reply's first text
    reply = stream(self, messages, **options)
    def chunks():
        for chunk in reply:
            first.append(first[0] if first else time.perf_counter())
            yield chunk
    return Reply(chunks(), reply.stats)

LlamaCppBackend.stream_chat = timed
shell = InteractiveShell.instance()
shell.run_cell("import pandas as pd\nsales = pd.DataFrame({'region': ['north', 'south', 'north'], "
               "'units': [3, 4, 5], 'unit_price': [2.0, 1.5, 3.0]})")
started = time.perf_counter()
shell.run_cell(f"%load_ext oci_magic\n%config OciMagics.model = {model!r}\n"
               f"%config OciMagics.warm_start = {warm}\n%config OciMagics.view = 'text'\n"
               f"%config OciMagics.max_tokens = {tokens}\n"
               "%config OciMagics.max_rounds = 1\n%config OciMagics.cells = 'none'")
load_ext = time.perf_counter() - started
time.sleep(wait)
asked = time.perf_counter()
shell.run_cell("%%oci\nadd a revenue column (units * unit_price) to sales and print the revenue per region")
round_ = shell.user_ns["_oci"].rounds[0]
print(json.dumps({"load_ext_seconds": load_ext, "first_token_seconds": first[0] - asked,
                  "prompt_tokens": round_.prompt_tokens, "evaluated": round_.prompt_tokens_evaluated}))
"""


def repacking_allowed() -> bool:
    """Whether this llama.cpp build can run repacked weights (a build with AMX crashes on them)."""
    from oci_magic.backends.llamacpp import crashing_settings

    return crashing_settings(cpu_repack="on") is None


def _own_and_shared(pid: int) -> tuple[int, int]:
    """(USS, PSS) of a process, in bytes, from /proc/PID/smaps_rollup (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) * 1024
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Pss"]


def shared_model(model: str, *, n_ctx: int = 4096, counts: int = 4, tokens: int = 64) -> dict[str, Any]:
    """Figure 12, for each repacking setting this build can run."""
    settings = ["off", "on"] if repacking_allowed() else ["off"]
    figures: dict[str, Any] = {"settings": {}}
    if len(settings) == 1:
        figures["on_skipped"] = (
            "this llama.cpp build uses AMX: repacked weights crash it (cpu_repack = 'on' is refused)"
        )
    for setting in settings:
        processes, steps = [], []
        try:
            for _ in range(counts):
                process = subprocess.Popen(
                    [sys.executable, "-c", _MODEL_PROCESS, model, str(n_ctx), setting, str(tokens)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                )  # fmt: skip
                processes.append(process)
                line = process.stdout.readline()
                if not line:  # it ended before its figures: say why
                    raise RuntimeError(f"a model process failed: {process.communicate()[1][-2000:]}")
                ready = json.loads(line)
                time.sleep(0.5)  # let the page cache and the allocator settle
                own, _ = _own_and_shared(ready["pid"])
                together = sum(_own_and_shared(p.pid)[1] for p in processes)
                steps.append({**ready, "own_bytes": own, "together_bytes": together})
        finally:
            for process in processes:
                if process.poll() is None:
                    process.communicate("\n", timeout=60)
        figures["settings"][setting] = steps
    return figures


def first_request(model: str, *, wait: float = 10.0, tokens: int = 32) -> dict[str, Any]:
    """Figure 13: warm start on, then off, each in a fresh process."""
    found = {}
    for warm in ("on", "off"):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_REQUEST, model, warm, str(wait), str(tokens)],
            capture_output=True, text=True, timeout=900, check=True,
        )  # fmt: skip
        found[warm] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"wait_seconds": wait, **found}


def notebook_rows(figures: dict[str, Any], row, mark, targets: dict[str, float]) -> list[str]:
    """The rows of figures 12 and 13 (`row(label, figure, detail)`, `mark(ok)` as the report's)."""
    rows = []
    settings = figures["shared"]["settings"]
    for setting, steps in settings.items():
        together = [step["together_bytes"] for step in steps]
        added = together[1] - together[0] if len(together) > 1 else None
        first = steps[0]
        sums = ", ".join(f"{n}: {total / MIB:,.0f}" for n, total in enumerate(together, 1))
        detail = (
            f"PSS together {sums} MiB; each later one holds {steps[-1]['own_bytes'] / MIB:,.0f} MiB of its "
            f"own; prompt {first['prompt_tokens_per_second']:.0f} tok/s, decode "
            f"{first['decode_tokens_per_second']:.1f} tok/s, load {first['load_seconds']:.2f} s"
        )
        if added is not None:
            limit = targets["second_notebook_bytes"]
            detail = f"target <= {limit / MIB:.0f} MiB {mark(added <= limit)}; " + detail
        label = f"12 a 2nd notebook, repacking {setting}" if setting == "off" else f"  repacking {setting}"
        rows.append(row(label, f"+{added / MIB:,.0f} MiB" if added is not None else "-", detail))
    if "on" in settings and "off" in settings:
        on, off = settings["on"][0], settings["off"][0]
        rows.append(
            row(
                "  repacking on / off",
                f"{on['decode_tokens_per_second'] / off['decode_tokens_per_second']:.2f}x dec",
                f"prompt {on['prompt_tokens_per_second'] / off['prompt_tokens_per_second']:.2f}x, "
                f"load {on['load_seconds']:.2f} vs {off['load_seconds']:.2f} s (same process order)",
            )
        )
    elif "on_skipped" in figures["shared"]:
        rows.append(row("  repacking on", "-", f"not measured: {figures['shared']['on_skipped']}"))
    first = figures["first_request"]
    on, off = first["on"], first["off"]
    limit = targets["first_request_seconds"]
    met = mark(on["first_token_seconds"] <= limit)
    rows.append(
        row(
            f"13 first %%oci, {first['wait_seconds']:.0f} s after %load_ext",
            f"{on['first_token_seconds']:.2f} s",
            f"to its first token, warm start on: target <= {limit:.1f} s {met}"
            f"; {on['evaluated']} of {on['prompt_tokens']} prompt tokens evaluated then; warm start off "
            f"{off['first_token_seconds']:.2f} s ({off['evaluated']} evaluated); %load_ext "
            f"{1000 * on['load_ext_seconds']:.0f} ms",
        )
    )
    return rows
