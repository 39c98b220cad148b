"""The llama.cpp backend on a real engine: a tiny random-weight GGUF written by the fixture."""

import gc

import llama_cpp
import pytest
from helpers import GrammarBackend, fixed_reply

import oci_magic
from oci_magic.backends import llamacpp
from oci_magic.backends.llamacpp import LlamaCppBackend, load_cached, release_cached
from oci_magic.errors import ModelLoadError
from oci_magic.loop.prompts import SYSTEM_PROMPT

MESSAGES = [
    {"role": "system", "content": SYSTEM_PROMPT},
    {"role": "user", "content": "print six times seven"},
]


@pytest.fixture(scope="module")
def tiny(tiny_gguf):
    backend = LlamaCppBackend(tiny_gguf, n_ctx=2048)
    yield backend
    backend.close()


def test_loads_and_describes_itself(tiny, tiny_gguf):
    info = tiny.info()
    assert info["model"] == "tiny-test-llama" and info["file"] == str(tiny_gguf)
    assert info["chat format"] == "template" and info["context"] == 2048
    assert tiny.load_time > 0


def test_streams_in_chunks_within_max_tokens(tiny):
    reply = tiny.stream_chat(MESSAGES, max_tokens=12)
    chunks = list(reply)
    assert len(chunks) > 1
    assert reply.stats.generated_tokens <= 12
    assert reply.stats.finish_reason == "length"


def test_random_bytes_stream_token_by_token_and_count_exactly(tiny):
    # A random-weight model writes arbitrary bytes: broken UTF-8 must not hold the stream back.
    arrived = []
    reply = tiny.stream_chat(MESSAGES, max_tokens=300, seed=1)
    for chunk in reply:
        perf = llama_cpp.llama_perf_context(tiny._llm._ctx.ctx)
        arrived.append((chunk, perf.n_eval + perf.n_p_eval))  # drafts are checked in batches: n_p_eval
    stats = reply.stats
    assert stats.finish_reason == "length" and stats.generated_tokens == 300
    assert len(arrived) > 100  # one chunk per token or so, not one at the end
    assert arrived[0][1] < arrived[-1][1] - 200  # the first text came while the model still had 200 to go


def test_each_reply_frees_its_native_sampler_at_once(tiny):
    # llama-cpp-python's samplers sit in reference cycles; each holds a vocabulary-sized buffer natively.
    from llama_cpp._internals import LlamaSampler

    gc.disable()
    try:
        for _ in range(3):
            list(tiny.stream_chat(MESSAGES, max_tokens=5))
        alive = [o for o in gc.get_objects() if isinstance(o, LlamaSampler) and o.sampler is not None]
    finally:
        gc.enable()
    assert alive == []


def test_a_round_tokenizes_its_prompt_once(tiny, monkeypatch):
    calls = []
    tokenize = tiny._llm.tokenize
    monkeypatch.setattr(tiny._llm, "tokenize", lambda *a, **k: calls.append(a) or tokenize(*a, **k))
    messages = MESSAGES + [{"role": "assistant", "content": "x = 1"}, {"role": "user", "content": "again"}]
    counted = tiny.count_tokens(messages)  # what the loop does to fit the context, then it streams
    reply = tiny.stream_chat(messages, max_tokens=3)
    list(reply)
    assert reply.stats.prompt_tokens == counted
    prompt_calls = [call for call in calls if call[0].startswith(tiny.format.render(messages)[:20].encode())]
    assert len(prompt_calls) == 1


def test_the_embedded_chat_template_shapes_the_prompt(tiny):
    prompt = tiny.format.render(MESSAGES)
    assert prompt.endswith("<|user|>\nprint six times seven</s>\n<|assistant|>\n")
    reply = tiny.stream_chat(MESSAGES, max_tokens=1)
    list(reply)
    assert reply.stats.prompt_tokens == tiny.count_tokens(MESSAGES)
    # BOS is added once by the tokenizer, not a second time by the template
    tokens = tiny._tokens(prompt)
    assert tokens.count(tiny._llm.token_bos()) == 1


def test_grammar_makes_the_reply_deterministic(tiny):
    grammar = fixed_reply("print(6 * 7)")
    first = "".join(tiny.stream_chat(MESSAGES, grammar=grammar, max_tokens=64))
    second = "".join(tiny.stream_chat(MESSAGES, grammar=grammar, max_tokens=64))
    assert first == second == "```python\nprint(6 * 7)\n```"


def test_a_repair_round_evaluates_only_its_new_tokens(tiny):
    """Measured with llama.cpp's own performance counters."""
    grammar = fixed_reply("print(1 / 0)")
    first = tiny.stream_chat(MESSAGES, grammar=grammar, max_tokens=64)
    reply = "".join(first)
    first_prompt = first.stats.prompt_tokens
    repair = MESSAGES + [
        {"role": "assistant", "content": reply},
        {"role": "user", "content": "Execution result: \nZeroDivisionError: division by zero"},
    ]
    before = llama_cpp.llama_perf_context(tiny._llm.ctx)
    second = tiny.stream_chat(repair, grammar=grammar, max_tokens=64)
    "".join(second)
    after = llama_cpp.llama_perf_context(tiny._llm.ctx)
    evaluated = after.n_p_eval - before.n_p_eval
    second_prompt = second.stats.prompt_tokens
    assert evaluated == second.stats.prompt_tokens_evaluated
    new_tokens = second_prompt - first_prompt
    assert 0 < evaluated <= new_tokens
    assert second_prompt - evaluated >= first_prompt  # the whole first prompt came from the cache
    assert evaluated < second_prompt / 2


def test_real_engine_through_the_whole_loop(shell, tiny, capsys):
    """%%oci with llama.cpp generating (grammar-constrained): error in round 1, repaired in round 2."""

    oci_magic.set_backend(GrammarBackend(tiny, [fixed_reply("value = 1 / 0"), fixed_reply("value = 1 / 4")]))
    try:
        shell.run_cell("%%oci\nset value")
    finally:
        oci_magic.set_backend(None)
    run = oci_magic.last_run()
    assert run.status == "passed" and [r.status for r in run.rounds] == ["failed", "passed"]
    assert run.rounds[0].error.type == "ZeroDivisionError"
    assert shell.user_ns["value"] == 0.25
    second = run.rounds[1]
    assert 0 < second.prompt_tokens_evaluated < second.prompt_tokens / 2
    assert second.tokens_per_second > 0 and second.generated_tokens > 5
    assert "prompt" in capsys.readouterr().out


def test_model_cache_reuses_and_replaces(tiny_gguf):
    first = load_cached(tiny_gguf, n_ctx=1024)
    assert load_cached(tiny_gguf, n_ctx=1024) is first
    assert llamacpp.cached_backend() is first
    second = load_cached(tiny_gguf, n_ctx=512)
    assert second is not first and first._llm is None  # the old model was freed
    release_cached()
    assert llamacpp.cached_backend() is None


def test_weight_repacking_switch(tiny_gguf):
    native = llama_cpp.llama_cpp
    with llamacpp._model_params(repack=False):
        assert native.llama_model_default_params().use_extra_bufts is False
    assert native.llama_model_default_params().use_extra_bufts is True
    backend = LlamaCppBackend(tiny_gguf, n_ctx=1024, cpu_repack="off")
    assert backend.info()["weight repacking"] == (
        "off (shared with every process that maps the file; faster prompts and loading, slower decoding)"
    )
    assert LlamaCppBackend.__init__.__kwdefaults__["cpu_repack"] == "off"  # the default shares the weights
    assert "".join(backend.stream_chat(MESSAGES, grammar=fixed_reply("x = 1"), max_tokens=32))
    backend.close()
    system_info = llama_cpp.llama_print_system_info().decode()
    assert llamacpp.repacking_enabled("auto") == ("AMX" not in system_info)
    # What auto chose is said with why: the AMX workaround, or faster decoding with the trade named.
    assert llamacpp.repacking_choice("auto") == (
        "off (AMX workaround)"
        if "AMX" in system_info
        else "on (auto: faster decoding, a private copy of the weights in this process)"
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "model file not found"),
        (b"PK\x03\x04 not a model", "is not a GGUF file"),
        ("truncated", "could not load"),
    ],
)
def test_bad_model_files_give_clear_errors(tmp_path, tiny_gguf, content, message):
    path = tmp_path / "model.gguf"
    if content == "truncated":
        path.write_bytes(tiny_gguf.read_bytes()[:4096])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=message):
        LlamaCppBackend(path)


def test_interrupt_while_llama_cpp_streams_then_the_model_still_works(sigint_raises, tiny):
    import os
    import signal

    received = []
    # ASCII only (random weights would emit broken UTF-8, which llama-cpp-python holds back), and
    # long enough to be mid-stream when the interrupt lands: right after the first chunk (a Ctrl-C sent
    # then, not after a fixed delay that a loaded machine overruns before the first token).
    grammar = "root ::= [a-z ]{1400}"
    with pytest.raises(KeyboardInterrupt):
        stream = tiny.stream_chat(MESSAGES, max_tokens=1400, grammar=grammar)
        try:
            for chunk in stream:
                received.append(chunk)
                if len(received) == 1:
                    os.kill(os.getpid(), signal.SIGINT)
        finally:
            stream.close()
    assert received  # it was streaming when the interrupt landed
    # the lock was released and the context is usable
    reply = "".join(tiny.stream_chat(MESSAGES, grammar=fixed_reply("ok = 1"), max_tokens=32))
    assert reply == "```python\nok = 1\n```"


def test_load_reports_progress_and_an_interrupt_stops_it(tiny_gguf):
    seen = []
    backend = LlamaCppBackend(tiny_gguf, n_ctx=512, on_progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0
    backend.close()

    def interrupt(fraction):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        LlamaCppBackend(tiny_gguf, n_ctx=512, on_progress=interrupt)
    # the engine is fine afterwards
    backend = LlamaCppBackend(tiny_gguf, n_ctx=1024)
    assert "".join(backend.stream_chat(MESSAGES, grammar=fixed_reply("x = 1"), max_tokens=32))
    backend.close()
