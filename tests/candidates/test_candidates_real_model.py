"""Candidates written by the real Qwen2.5-Coder 0.5B through llama.cpp, each forced by a grammar to a known
program (greedy text differs between CPUs; a grammar's does not): the chosen code and the verdict follow
from what the candidates computed in their trials, whatever the machine."""

import pytest
from helpers import GrammarBackend, fixed_reply

import oci_magic

# A quantized model decoding in this process: in a child, so that a native crash fails this test alone.
pytestmark = [pytest.mark.slow, pytest.mark.isolated]


@pytest.fixture
def coder_engine():
    from oci_magic.backends.llamacpp import load_cached, release_cached
    from oci_magic.models.resolve import resolve_model

    engine = load_cached(resolve_model("qwen-coder-0.5b")[0], n_ctx=2048)
    yield engine
    oci_magic.set_backend(None)
    release_cached()


def test_the_agreeing_candidates_win_and_the_verdict_says_so(shell, coder_engine):
    shell.run_cell("values = [3, 4, 5]")
    replies = [
        fixed_reply("result = max(values)"),  # the greedy reply: 5
        fixed_reply("result = sum(values)"),  # 12
        fixed_reply("result = 0\nfor v in values:\n    result += v"),  # 12, written another way
    ]
    oci_magic.set_backend(GrammarBackend(coder_engine, replies))
    shell.run_cell("%%oci --candidates 3\nput the total of values in `result`")
    run = oci_magic.last_run()
    first = run.rounds[0]
    assert [c.code for c in first.candidates] == [
        "result = max(values)",
        "result = sum(values)",
        "result = 0\nfor v in values:\n    result += v",
    ]
    assert [c.group for c in first.candidates] == [1, 0, 0]
    assert first.chosen == 1 and first.code == "result = sum(values)" and shell.user_ns["result"] == 12
    assert run.verdict == "agreed" and "passed in round 1 of 3: 2 of 3 candidates agree" in run.summary()

    shell.run_cell("del result")
    replies = [
        fixed_reply("result = sum(values)"),
        fixed_reply("result = min(values)"),
        fixed_reply("result = 7"),
    ]
    oci_magic.set_backend(GrammarBackend(coder_engine, replies))
    shell.run_cell("%%oci --candidates 3 --new\nput the total of values in `result`")
    run = oci_magic.last_run()
    first = run.rounds[0]
    # No two agree: the greedy reply runs, and the run does not call itself passed.
    assert first.chosen == 0 and shell.user_ns["result"] == 12 and not first.agreed
    assert run.verdict == "disagreed" and run.summary().startswith(
        "ran without error in round 1 of 3, unverified: the 3 candidates disagree"
    )
