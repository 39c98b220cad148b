"""Test helpers that drive the real llama.cpp engine to a known reply, and serve it over HTTP."""

from __future__ import annotations

import copy
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from contextlib import contextmanager
from pathlib import Path

from oci_magic.backends import Backend, Reply
from oci_magic.backends.scripted import ScriptedBackend  # noqa: F401  (tests import it from here)

TESTS = Path(__file__).parent


def scripted_setup(replies: list[str]) -> str:
    """Code that, run in any kernel (nbclient's, JupyterLab's, a test's own), makes every later %%oci answer
    with `replies` in order, through `ScriptedBackend`."""
    return (
        f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
        "import oci_magic\n"
        "from helpers import ScriptedBackend\n"
        f"oci_magic.set_backend(ScriptedBackend({list(replies)!r}))"
    )


class GrammarBackend(Backend):
    """The real llama.cpp engine, each reply fixed by a GBNF grammar, in order: a random-weight model
    then writes the code a test needs, token by token."""

    name = "tiny, constrained"

    def __init__(self, engine, grammars: list[str]) -> None:
        self.engine, self.grammars = engine, list(grammars)
        self.context_size = engine.context_size

    def count_tokens(self, messages):
        return self.engine.count_tokens(messages)

    def stream_chat(self, messages, **options):
        return self.engine.stream_chat(messages, grammar=self.grammars.pop(0), **options)


def fixed_reply(code: str, prose: str = "") -> str:
    """A GBNF grammar that allows exactly one reply: `prose`, then a python block with `code`."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    return f"root ::= {quoted(prose + '```python' + chr(10) + code + chr(10) + '```')}"


class BrokenBackend(Backend):
    """A backend whose connection drops after the first chunk."""

    name = "broken"

    def stream_chat(self, messages, **options):
        yield "```python\n"
        raise ConnectionError("server went away")


class TaskGrammarBackend(Backend):
    """The real engine (a local model or a server) answering benchmark tasks with scripted code: `answers`
    maps a function name to the code of each round; the request names the task, the assistant turns so
    far give the round. It counts how many of its requests are in flight at once (clones share the count).
    """

    name = "tiny, scripted by grammar"

    def __init__(self, engine, answers: dict[str, list[str]]) -> None:
        self.engine, self.answers = engine, answers
        self.context_size = engine.context_size
        self._counter = {"lock": threading.Lock(), "now": 0, "most": 0}

    @property
    def most_in_flight(self) -> int:
        return self._counter["most"]

    def clone(self) -> TaskGrammarBackend:
        twin = copy.copy(self)
        twin.engine = self.engine.clone()
        return twin

    def stream_chat(self, messages, **options):
        request = next(m["content"] for m in messages if m["role"] == "user")
        name = next(name for name in self.answers if f"def {name}(" in request)
        code = self.answers[name][sum(m["role"] == "assistant" for m in messages)]
        reply = self.engine.stream_chat(messages, grammar=fixed_reply(code), **options)
        return Reply(self._counted(reply), reply.stats)

    def _counted(self, reply: Reply):
        counter = self._counter
        with counter["lock"]:
            counter["now"] += 1
            counter["most"] = max(counter["most"], counter["now"])
        try:
            yield from reply
        finally:
            reply.close()
            with counter["lock"]:
                counter["now"] -= 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def llama_server(model, *, key: str, n_ctx: int = 2048, extra: tuple[str, ...] = ()):
    """llama-cpp-python's OpenAI-compatible server on 127.0.0.1 serving `model` as "tiny"; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "tiny"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--api_key", key, "--n_ctx", str(n_ctx), *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(
                urllib.request.Request(f"{url}/models", headers={"Authorization": f"Bearer {key}"})
            )
            break
        except OSError:
            time.sleep(0.3)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


FENCE = "```"


def block(code: str) -> str:
    return f"{FENCE}python\n{code}\n{FENCE}"


def run_both_ways(shell, scripted, request: str, replies: list[str], setup: dict):
    """The run without the checks, then the same run with them: (checked run, its backend). The namespace is
    left as the checked run left it."""
    import oci_magic

    results, start = [], dict(shell.user_ns)
    for checks in (False, True):
        shell.user_ns.clear()
        shell.user_ns.update(start)
        shell.user_ns.update({name: value.copy() for name, value in setup.items()})
        shell.run_line_magic("config", f"OciMagics.result_checks = {checks}")
        backend = scripted(list(replies))
        with warnings.catch_warnings():  # pandas' deprecation warnings are not errors in a notebook
            warnings.simplefilter("ignore")
            shell.run_cell(f"%%oci --new\n{request}")
        results.append((oci_magic.last_run(), backend))
    (unchecked, _), (checked, backend) = results
    assert unchecked.status == "passed" and len(unchecked.rounds) == 1  # the miss goes unseen without checks
    return checked, backend
