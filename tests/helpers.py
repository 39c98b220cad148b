"""Test helpers that drive the real llama.cpp engine to a known reply."""

from __future__ import annotations


class GrammarBackend:
    """The real llama.cpp engine, each reply fixed by a GBNF grammar, in order: a random-weight model
    then writes the code a test needs, token by token."""

    name = "tiny, constrained"

    def __init__(self, engine, grammars: list[str]) -> None:
        self.engine, self.grammars = engine, list(grammars)
        self.context_size = engine.context_size

    def count_tokens(self, messages):
        return self.engine.count_tokens(messages)

    @property
    def last_stats(self):
        return self.engine.last_stats

    def stream_chat(self, messages, **options):
        return self.engine.stream_chat(messages, grammar=self.grammars.pop(0), **options)


def fixed_reply(code: str, prose: str = "") -> str:
    """A GBNF grammar that allows exactly one reply: `prose`, then a python block with `code`."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    return f"root ::= {quoted(prose + '```python' + chr(10) + code + chr(10) + '```')}"


class BrokenBackend:
    """A backend whose connection drops after the first chunk."""

    name = "broken"

    def stream_chat(self, messages, **options):
        yield "```python\n"
        raise ConnectionError("server went away")
