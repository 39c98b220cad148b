"""The OpenAI-compatible backend against a real llama-cpp-python server (the tiny model) on 127.0.0.1."""

import socket
import threading

import pytest
from helpers import GrammarBackend, fixed_reply, free_port, llama_server
from IPython.core.error import UsageError

import oci_magic
from oci_magic.backends.remote import RemoteBackend
from oci_magic.errors import BackendError

KEY = "test-key-not-secret"
MESSAGES = [{"role": "user", "content": "print six times seven"}]


@pytest.fixture(scope="module")
def server(tiny_gguf):
    with llama_server(tiny_gguf, key=KEY) as url:
        yield url


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("OCI_MAGIC_API_KEY", KEY)


def test_streams_from_the_server(server, key):
    backend = RemoteBackend(server)
    assert backend.model == "tiny" and backend.name.startswith("tiny @ 127.0.0.1:")
    reply = backend.stream_chat(MESSAGES, grammar=fixed_reply("print(6 * 7)"), max_tokens=64)
    chunks = list(reply)
    assert len(chunks) > 3 and "".join(chunks) == "```python\nprint(6 * 7)\n```"
    assert reply.stats.generated_tokens == len(chunks) and reply.stats.finish_reason == "stop"
    assert KEY not in repr(backend.info()) + backend.name


def test_percent_percent_oci_through_the_endpoint_setting(server, key, shell, widget_views):
    shell.run_line_magic("config", f"OciMagics.endpoint = {server!r}")
    shell.run_line_magic("config", "OciMagics.max_tokens = 16")
    shell.run_cell("%%oci --rounds 1\nanything")
    run = oci_magic.last_run()
    assert run.model.startswith("tiny @ 127.0.0.1") and run.rounds[0].reply  # streamed from the server
    (view,) = widget_views
    assert "tiny @ 127.0.0.1" in view.header.value
    assert KEY not in repr(run) + str(run.settings) + view.header.value + view.status.value


def test_a_repair_story_through_the_server(server, key, shell):
    remote = RemoteBackend(server)
    oci_magic.set_backend(GrammarBackend(remote, [fixed_reply("v = 1 / 0"), fixed_reply("v = 1 / 4")]))
    try:
        shell.run_cell("%%oci\nset v")
    finally:
        oci_magic.set_backend(None)
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["failed", "passed"] and shell.user_ns["v"] == 0.25


def test_a_wrong_key_says_which_variable_to_set(server, monkeypatch):
    monkeypatch.setenv("OCI_MAGIC_API_KEY", "wrong")
    with pytest.raises(BackendError, match=r"refused the API key \(401\).*OCI_MAGIC_API_KEY"):
        RemoteBackend(server)


def test_a_missing_model_lists_what_the_server_has(server, key, shell):
    shell.run_line_magic("config", f"OciMagics.endpoint = {server!r}")
    with pytest.raises(UsageError, match=r"has no model 'nope'; it serves: tiny"):
        shell.run_cell("%%oci --model nope\nanything").raise_error()


def test_a_server_that_is_down_or_silent(shell):
    with pytest.raises(BackendError, match="cannot reach .* is the server running"):
        RemoteBackend(f"http://127.0.0.1:{free_port()}/v1")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        with pytest.raises(BackendError, match="did not answer within 1 s"):
            RemoteBackend(f"http://127.0.0.1:{silent.getsockname()[1]}/v1", timeout=1)
    finally:
        for connection, _ in accepted:
            connection.close()
        silent.close()
    with pytest.raises(UsageError, match="not a URL"):
        shell.run_line_magic("config", "OciMagics.endpoint = 'gpu-box:8000'")
        shell.run_cell("%%oci\nanything").raise_error()
