"""The warm start in real kernels with the real Qwen2.5-Coder-0.5B (the `coder-small` extra, from PyPI): the
model loads in the background once the `%load_ext` cell has ended, cells run meanwhile, a `%%oci` sent
during the load waits for it and works, the first prompt's known start is evaluated ahead; a kernel whose
setting is off loads nothing. And what a second kernel with the same model holds of its own.

What is asserted holds on every CPU: orders of events and what was loaded, never one machine's text or
speed. The load is made to take a few seconds (its progress callback sleeps) so that "during the load" is a
moment the test can reach on a fast machine too. The suite's own kernels start with the warm start off
(tests/suite_environment.py); these turn it on, as a user's default is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from live_kernel import LiveKernel

pytestmark = pytest.mark.slow

# A load that takes seconds: each progress report of llama.cpp's load (about a hundred) waits a little.
SLOW_LOAD = (
    "import time as _t\n"
    "from oci_magic.models import warm as _warm\n"
    "_report = _warm.WarmStart._progress\n"
    "_warm.WarmStart._progress = lambda self, fraction: (_t.sleep(0.05), _report(self, fraction))\n"
)
STATE = (  # names with a leading _ stay out of what the model is told about the notebook
    "from oci_magic.backends.llamacpp import cached_backend as _cached\n"
    "from oci_magic.models import warm as _warm\n"
    "print('loaded' if _cached() is not None else 'not loaded',\n"
    "      'warm start' if _warm.current() is not None else 'no warm start',\n"
    "      'done' if _warm.current() is not None and _warm.current().done.is_set() else 'not done')"
)


def load_cell(*, warm_start: bool, model: str = "qwen-coder-0.5b", then: str = "") -> str:
    return "\n".join(
        [
            "%load_ext oci_magic",
            "%config OciMagics.view = 'text'",
            f"%config OciMagics.warm_start = {warm_start}",
            f"%config OciMagics.model = {model!r}",
            then,
        ]
    )


@pytest.fixture
def kernel():
    kernel = LiveKernel()
    yield kernel
    kernel.close()


def test_the_model_loads_after_the_load_ext_cell_while_cells_run_and_oci_waits_for_it(kernel):
    loading = kernel.run(load_cell(warm_start=True, then="numbers = [1, 5, 9]\n" + SLOW_LOAD + STATE))
    assert loading.status == "ok", loading.text
    # The cell that loads the extension returns before anything loads: the warm start begins after it.
    assert "not loaded no warm start" in loading.stdout

    during = kernel.run(STATE)  # changes nothing the model is told: the start evaluated ahead still holds
    assert during.status == "ok", during.text
    assert "warm start not done" in during.stdout  # this cell ran while the model was loading

    answered = kernel.run("%%oci --rounds 1\nprint the largest of numbers", timeout=600)
    assert answered.status == "ok", answered.text
    # The call waited for the background load instead of starting its own, and said so.
    assert "(loading since %load_ext)" in answered.stdout
    assert answered.stdout.count("oci · loading") == 1
    assert kernel.value("_oci.rounds[0].generated_tokens") > 0

    status = kernel.run("%oci status").stdout
    assert "warm start: loaded in the background" in status
    assert "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" in status and "not loaded yet" not in status
    evaluated_ahead = kernel.value("_warm.current().evaluated_tokens")
    assert evaluated_ahead > 0
    # The first prompt began with what was evaluated ahead: llama.cpp evaluated only what followed it.
    prompt = kernel.value("_oci.rounds[0].prompt_tokens")
    evaluated = kernel.value("_oci.rounds[0].prompt_tokens_evaluated")
    assert evaluated <= prompt - evaluated_ahead + 1


def test_the_start_of_the_first_prompt_is_what_the_first_request_sends(kernel):
    """What is evaluated ahead is the first prompt's own start, rendered by the model's chat format: the
    system prompt and the variables as the cell that loaded the extension left them."""
    reply = kernel.run(load_cell(warm_start=True, then="table_of_counts = {'a': 1}"))
    assert reply.status == "ok", reply.text
    kernel.run("from oci_magic.models import warm as _warm\n_warm.current().done.wait(300)")
    check = (  # names with a leading _: the variables the model is told of stay as they were
        "from oci_magic.backends.llamacpp import cached_backend as _cached\n"
        "from oci_magic.jupyter.warm_start import first_messages as _first, first_prompt_start as _start\n"
        "from oci_magic.loop.prompts import request_message as _request\n"
        "from oci_magic.notebook.summary import namespace_summary as _summary\n"
        "_om, _backend = get_ipython().oci_magics, _cached()\n"
        "_begins = _start(_backend, _first(_om))\n"
        "_asked = _request('print the counts', _summary(_om.user_ns))\n"
        "_whole = _backend.format.render([{'role': 'system', 'content': _om.system_prompt},\n"
        "                                 {'role': 'user', 'content': _asked}])\n"
        "print(_whole.startswith(_begins), 'table_of_counts' in _begins, _om.system_prompt in _begins)"
    )
    answer = kernel.run(check)
    assert answer.stdout.split() == ["True", "True", "True"], answer.text
    assert kernel.value("_warm.current().error") is None


def test_a_kernel_with_the_warm_start_off_loads_nothing_until_asked(kernel):
    reply = kernel.run(load_cell(warm_start=False))
    assert reply.status == "ok", reply.text
    kernel.run("x = 1")
    later = kernel.run(STATE)
    assert "not loaded no warm start" in later.stdout, later.text


def test_the_warm_start_loads_nothing_for_a_plugged_in_backend(kernel):
    reply = kernel.run(
        load_cell(
            warm_start=True,
            then="import oci_magic\nfrom oci_magic.backends.scripted import ScriptedBackend\n"
            "oci_magic.set_backend(ScriptedBackend(['```python\\nprint(1)\\n```']))",
        )
    )
    assert reply.status == "ok", reply.text
    later = kernel.run(STATE)
    assert "not loaded no warm start" in later.stdout, later.text


def own_memory(pid: int) -> int:
    """Bytes only this process holds (USS: private pages, anonymous or of a file no other process maps)."""
    fields = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    return sum(
        int(line.split()[1]) * 1024 for line in fields if line.startswith(("Private_Clean", "Private_Dirty"))
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/smaps_rollup (Linux)")
def test_a_second_kernel_with_the_same_model_shares_its_weights():
    """Two kernels with the same model and the default settings: the second one's own memory grows by far
    less than the model file, because the weights are pages of the one file both map, not a private copy."""
    from oci_magic.models.resolve import resolve_model

    size = os.path.getsize(resolve_model("qwen-coder-0.5b")[0])
    first, second = LiveKernel(), LiveKernel()
    try:
        for kernel in (first, second):
            reply = kernel.run(load_cell(warm_start=False, then="import os\nx = 1"))
            assert reply.status == "ok", reply.text
        pid = second.value("os.getpid()")
        first.run("%%oci --rounds 1\nprint 1 + 1", timeout=600)
        before = own_memory(pid)
        answered = second.run("%%oci --rounds 1\nprint 1 + 1", timeout=600)
        assert answered.status == "ok", answered.text
        assert second.value("_oci.rounds[0].generated_tokens") > 0
        grown = own_memory(pid) - before
        # The KV cache (4096 tokens: 48 MiB for this model), llama.cpp's buffers and Python's own growth
        # fit in half the file; a private copy of the weights would not.
        assert grown < size / 2, (
            f"the second kernel grew by {grown / 2**20:.0f} MiB (file {size / 2**20:.0f} MiB)"
        )
    finally:
        first.close()
        second.close()
