"""Shared fixtures: a real IPython shell with oci_magic loaded, a scripted backend for the loop's logic,
and a tiny real GGUF for llama.cpp."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tiny_gguf import write_tiny_gguf

from oci_magic import session


class ScriptedBackend:
    """Answers with canned replies, in order, and remembers what it was asked (for the loop's logic
    only: every feature is also tested on the real engine)."""

    name = "scripted"

    def __init__(self, replies: list[str], *, delay: float = 0.0) -> None:
        self.replies = list(replies)
        self.delay = delay
        self.calls: list[list[dict]] = []

    def stream_chat(self, messages, **options):
        self.calls.append([dict(m) for m in messages])
        reply = self.replies.pop(0)
        for piece in reply.split(" "):
            if self.delay:
                time.sleep(self.delay)
            yield piece + " "


@pytest.fixture(scope="session")
def ipython():
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shell.run_line_magic("load_ext", "oci_magic")
    return shell


@pytest.fixture
def shell(ipython):
    """The real IPython shell, with a fresh oci session and namespace for each test."""
    session._session = None
    saved = dict(ipython.user_ns)
    magics = ipython.magics_manager.registry["OciMagics"]
    traits = {
        name: getattr(magics, name) for name in magics.trait_names() if magics.trait_metadata(name, "config")
    }
    yield ipython
    ipython.user_ns.clear()
    ipython.user_ns.update(saved)
    for name, value in traits.items():
        setattr(magics, name, value)
    session._session = None


@pytest.fixture
def scripted(shell):
    """Install a scripted backend: `scripted(["```python\\n...```", ...])`."""
    from oci_magic import set_backend

    def install(replies, **kwargs):
        backend = ScriptedBackend(replies, **kwargs)
        set_backend(backend)
        return backend

    yield install
    set_backend(None)


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny.gguf")


@pytest.fixture(scope="session")
def small_model() -> Path:
    """Gemma 3 270M from the PyPI package (the `small-model` extra)."""
    from oci_magic.models import resolve_model

    return resolve_model("small")[0]
