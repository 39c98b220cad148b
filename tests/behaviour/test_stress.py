"""50 consecutive %%oci runs in one real kernel, each a failure and its repair through the real llama.cpp
engine and the widget: the kernel's memory at the end is what it was at the start, within noise."""

from __future__ import annotations

import pytest
from live_kernel import LiveKernel

pytestmark = pytest.mark.slow

RUNS, WARM_UP = 50, 5
GROWTH_LIMIT_MIB = 16  # every run's record and widgets stay (a few KiB each); leaks would be MiB per run


def test_fifty_runs_in_one_kernel_do_not_grow_its_memory(tiny_gguf):
    kernel = LiveKernel()
    try:
        setup = kernel.run(
            "%load_ext oci_magic\n"
            "import gc, oci_magic, helpers\n"
            "from oci_magic.backends.llamacpp import load_cached\n"
            "from oci_magic.bench.probes import rss\n"
            f"engine = load_cached({str(tiny_gguf)!r}, n_ctx=2048)\n"
            "replies = [helpers.fixed_reply('total = sum(range(2000)) / 0'), "
            "helpers.fixed_reply('total = sum(range(2000))\\nprint(total)')]\n"
            f"oci_magic.set_backend(helpers.GrammarBackend(engine, replies * {RUNS + WARM_UP}))\n"
            "def memory():\n"
            "    gc.collect()\n"
            "    return rss()"
        )
        assert setup.status == "ok", setup.text
        for _ in range(WARM_UP):
            kernel.run("%%oci --new --max-tokens 64\nadd up the numbers below 2000")
        start = kernel.value("memory()")
        for _ in range(RUNS):
            reply = kernel.run("%%oci --new --max-tokens 64\nadd up the numbers below 2000")
            assert reply.status == "ok", reply.text
        end = kernel.value("memory()")
        statuses = kernel.value("[r.status for r in get_ipython().oci_magics.runs]")
        rounds = kernel.value("[len(r.rounds) for r in get_ipython().oci_magics.runs]")
        assert statuses == ["passed"] * (RUNS + WARM_UP) and rounds == [2] * (RUNS + WARM_UP)
        growth = (end - start) / 2**20
        before, after = start / 2**20, end / 2**20
        print(f"kernel memory: {before:.1f} MiB after {WARM_UP} runs, {after:.1f} MiB after {RUNS} more")
        assert growth < GROWTH_LIMIT_MIB, f"grew {growth:.1f} MiB over {RUNS} runs"
    finally:
        kernel.close()
