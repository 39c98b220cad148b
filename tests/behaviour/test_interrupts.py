"""Case 6 of the Safety section: a kernel interrupt during model load, prompt evaluation, streaming or
execution stops the run there, records it as interrupted, and the next %%oci works with the model still
loaded, its cache still consistent. A real ipykernel, the real Gemma 3 270M, real SIGINTs."""

from __future__ import annotations

import pytest
from live_kernel import LiveKernel

SHORT = "%%oci --new --no-context --rounds 1 --no-run --max-tokens 24\nwrite a function that adds two numbers"


@pytest.fixture(scope="module")
def kernel(small_model):
    kernel = LiveKernel()
    kernel.load_oci(small_model, then="work = 'three hours of it'")
    yield kernel
    kernel.close()


def last_run(kernel: LiveKernel) -> dict:
    return kernel.value(
        "{'status': _oci.status, 'message': _oci.message, 'rounds': [{'reply': r.reply, "
        "'generated': r.generated_tokens, 'prompt': r.prompt_tokens, 'evaluated': r.prompt_tokens_evaluated, "
        "'interrupted': r.interrupted, 'executed': r.executed} for r in _oci.rounds]}"
    )


def test_every_phase_can_be_interrupted_and_the_next_run_just_works(kernel):
    # 1. During the model load (0.8 s: too short to aim at from outside, so the kernel sends itself the
    # SIGINT a Ctrl-C would send, from llama.cpp's progress callback, a third of the way in).
    kernel.run(
        "import os, signal\nfrom oci_magic.views.text import TextView\n"
        "TextView.load_progress = lambda view, fraction: "
        "0.3 < fraction < 0.9 and os.kill(os.getpid(), signal.SIGINT)"
    )
    reply = kernel.run(SHORT)
    kernel.run("del TextView.load_progress")
    assert reply.status == "ok", reply.text
    run = last_run(kernel)
    assert run["status"] == "interrupted" and run["rounds"] == []
    assert "interrupted while loading the model" in reply.stdout
    kernel.run("import oci_magic.backends.llamacpp")
    assert kernel.value("oci_magic.backends.llamacpp.cached_backend() is None")

    # A first complete run loads the model; its reply is the reference for the cache checks below.
    reply = kernel.run(SHORT)
    assert "oci · loading" in reply.stdout
    reference = last_run(kernel)["rounds"][0]["reply"]
    assert reference

    # 2. During prompt evaluation: a long request, evaluated batch by batch. When a Ctrl-C lands depends on
    # the machine's speed (a GPU evaluates the whole prompt in a blink), so the kernel sends itself the
    # SIGINT as llama.cpp is about to evaluate the prompt's second batch: between two batches, as a real one
    # lands.
    kernel.run(
        "context = oci_magic.backends.llamacpp.cached_backend()._llm._ctx\n"
        "decodes = []\n"
        "def interrupt_second(batch, decode=context.decode):\n"
        "    decodes.append(batch)\n"
        "    if len(decodes) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return decode(batch)\n"
        "context.decode = interrupt_second"
    )
    long_request = "%%oci --new --rounds 1 --no-run --max-tokens 24\n" + "Here is my data: 1, 2, 3, 4. " * 150
    reply = kernel.run(long_request)
    kernel.run("del context.decode")
    run = last_run(kernel)
    (round_,) = run["rounds"]
    assert run["status"] == "interrupted" and round_["interrupted"], (reply.stdout, run)
    assert round_["generated"] == 0 and round_["reply"] == ""
    # Stopped inside the prompt, after its first batch: llama.cpp holds only part of it.
    evaluated = kernel.value("oci_magic.backends.llamacpp.cached_backend()._llm.n_tokens")
    batch = kernel.value("oci_magic.backends.llamacpp.cached_backend()._llm.n_batch")
    assert 0 < evaluated < round_["prompt"] - batch

    # 3. While the reply streams: what was written so far is kept. The SIGINT comes as the fifth piece of
    # the reply is shown (a timer would land at a different point on a faster machine).
    kernel.run(
        "def interrupt_soon(view, event, show=TextView.__call__):\n"
        "    show(view, event)\n"
        "    if event.kind == 'token' and len(view.__dict__.setdefault('pieces', [])) < 5:\n"
        "        view.pieces.append(event.text)\n"
        "        if len(view.pieces) == 5:\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "TextView.__call__ = interrupt_soon"
    )
    reply = kernel.run("%%oci --new --rounds 1 --no-run --max-tokens 600\nexplain sorting in detail")
    kernel.run("TextView.__call__ = interrupt_soon.__defaults__[0]")
    run = last_run(kernel)
    (round_,) = run["rounds"]
    assert run["status"] == "interrupted", (reply.stdout, run)
    assert 5 <= round_["generated"] < 600 and round_["reply"]
    assert "interrupted while the model was writing" in reply.stdout

    # 4. While generated code runs.
    kernel.run(
        "import oci_magic, helpers\n"
        "oci_magic.set_backend(helpers.ScriptedBackend(['```python\\nimport time\\ntime.sleep(60)\\n```']))"
    )
    reply = kernel.run("%%oci --new\nwait", interrupt_when="▶ running", interrupt_delay=0.5)
    run = last_run(kernel)
    assert run["status"] == "interrupted" and run["rounds"][0]["executed"] and reply.seconds < 30
    kernel.run("oci_magic.set_backend(None)")

    # After all that: the model was not loaded again, and its cache gives the reply a fresh model gives.
    reply = kernel.run(SHORT)
    assert "oci · loading" not in reply.stdout
    assert last_run(kernel)["rounds"][0]["reply"] == reference
    assert kernel.value("work") == "three hours of it"
    assert kernel.value("[r.status for r in get_ipython().oci_magics.runs]") == [
        "interrupted",
        "generated",
        "interrupted",
        "interrupted",
        "interrupted",
        "generated",
    ]
