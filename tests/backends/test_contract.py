"""The engine contract: what `Backend` gives an engine by default, a reply's figures travelling with the
reply, the README's example engine run as written, and no probing of engines, views or executors."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import oci_magic
from oci_magic.backends import Backend, Reply, ReplyStats, estimate_tokens
from oci_magic.executors import Executor

ROOT = Path(__file__).parents[2]
MESSAGES = [{"role": "user", "content": "print six times seven"}]


class Minimal(Backend):
    name = "minimal"

    def stream_chat(self, messages, **options):
        yield "```python\nprint(42)\n```"


def test_an_engine_needs_only_a_name_and_stream_chat():
    engine = Minimal()
    assert engine.count_tokens(MESSAGES) == estimate_tokens(MESSAGES[0]["content"]) + 4
    assert engine.context_size is None and engine.clone() is None
    assert engine.info() == {"model": "minimal"}
    engine.close()  # does nothing, and says nothing
    reply = engine.reply(MESSAGES, temperature=0.0, max_tokens=10)
    assert isinstance(reply, Reply) and "".join(reply) == "```python\nprint(42)\n```"
    assert reply.stats == ReplyStats()  # a plain generator: no figures, none made up


def test_an_engine_without_stream_chat_says_what_it_lacks():
    class Nameless(Backend):
        pass

    with pytest.raises(NotImplementedError, match="Nameless must define stream_chat"):
        Nameless().reply(MESSAGES)


def test_a_closed_reply_keeps_the_figures_of_how_far_it_got():
    stats = ReplyStats()

    def chunks():
        try:
            for count in range(1, 100):
                stats.generated_tokens = count
                yield "word "
        finally:
            stats.finish_reason = "closed"

    reply = Reply(chunks(), stats)
    assert Reply.of(reply) is reply
    next(reply), next(reply)
    reply.close()
    assert reply.stats.generated_tokens == 2 and reply.stats.finish_reason == "closed"


def test_the_loop_records_the_figures_a_reply_brings(shell):
    class Counted(Backend):
        name = "counted"

        def stream_chat(self, messages, **options):
            figures = ReplyStats(prompt_tokens=123, prompt_tokens_evaluated=45, generated_tokens=6)
            figures.finish_reason = "stop"
            return Reply(iter(["```python\n", "answer = 6 * 7\n", "```"]), figures)

    oci_magic.set_backend(Counted())
    try:
        shell.run_cell("%%oci\nsix times seven")
    finally:
        oci_magic.set_backend(None)
    round_ = oci_magic.last_run().rounds[0]
    assert shell.user_ns["answer"] == 42
    assert (round_.prompt_tokens, round_.prompt_tokens_evaluated, round_.generated_tokens) == (123, 45, 6)


def test_an_executor_needs_only_run():
    class Plain(Executor):
        def run(self, code, *, timeout=None, on_output=None):
            raise AssertionError("not called here")

    plain = Plain()
    assert plain.namespace is None
    assert [risk.kind for risk in plain.risks("import shutil\nshutil.rmtree('data')")] == ["deletes"]
    assert "cannot try code" in plain.try_codes(["x = 1", "x = 2"], None)


def test_the_readme_engine_runs_as_written(shell):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Plug in another engine") : readme.index("## How well it works")]
    code = re.search(r"^```python\n(.*?)^```$", section, re.S | re.M).group(1)  # the fence on its own line
    assert len(code.splitlines()) <= 25
    shell.run_cell(code)
    try:
        shell.run_cell("%%oci\nprint six times seven")
    finally:
        oci_magic.set_backend(None)
    run = oci_magic.last_run()
    assert run.model == "canned" and run.rounds[0].code.strip() == "print(6 * 7)"
    # Its figures came with the reply: the loop has no prompt count of its own.
    assert run.rounds[0].prompt_tokens > 100  # the system prompt and the request, counted by the default
    assert "42" in run.rounds[0].output


def test_nothing_probes_engines_views_or_executors():
    """The contract is declared: no getattr/hasattr on a backend, view or executor, no `last_stats`."""
    found = subprocess.run(
        [
            "grep",
            "-rnE",
            r"(getattr|hasattr)\((self\.)?(call\.)?(backend|engine|view|executor)\b|last_stats",
            str(ROOT / "oci_magic"),
            "--include=*.py",
        ],
        capture_output=True,
        text=True,
    ).stdout
    assert found == ""
