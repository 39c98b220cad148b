"""Case 12 of the Safety section: no telemetry, no network at run time except an explicit pull or a configured
endpoint, and an endpoint's key never written anywhere a user or a notebook would keep it."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from dataclasses import asdict

import pytest
from helpers import llama_server

import oci_magic
from oci_magic.jupyter import sidebar

# Runs in a fresh interpreter with Python's audit hook watching every socket and URL opened.
WATCHED_SESSION = textwrap.dedent(
    """
    import json, sys
    events = []
    sys.addaudithook(
        lambda event, args: events.append([event, repr(args)[:200]])
        if event.startswith(("socket.", "urllib.")) else None
    )
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "oci_magic")
    shell.run_line_magic("config", "OciMagics.model = {model!r}")
    shell.run_line_magic("config", "OciMagics.view = 'text'")
    shell.run_cell("%%oci --rounds 2 --max-tokens 40\\nadd two numbers")
    shell.run_cell("%%oci --max-tokens 40\\nnow multiply them")
    for line in ("status", "history", "save {notebook}"):
        shell.run_line_magic("oci", line)
    network = ("huggingface_hub", "openai", "httpx", "requests", "urllib3")
    print("WATCHED" + json.dumps({{"events": events, "modules": [m for m in network if m in sys.modules]}}))
    """
)


def test_local_runs_open_no_socket_and_load_no_network_library(tiny_gguf, tmp_path):
    script = WATCHED_SESSION.format(model=str(tiny_gguf), notebook=str(tmp_path / "runs.ipynb"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("WATCHED"))
    watched = json.loads(line.removeprefix("WATCHED"))
    assert "oci · tiny-test-llama" in done.stdout and (tmp_path / "runs.ipynb").exists()
    assert watched == {"events": [], "modules": []}


KEY = "sk-private-4d1f9a7e"


@pytest.fixture(scope="module")
def server(tiny_gguf):
    with llama_server(tiny_gguf, key=KEY) as url:
        yield url


def test_the_endpoint_key_is_never_shown_saved_or_logged(
    server, shell, monkeypatch, caplog, capsys, tmp_path
):  # noqa: E501
    caplog.set_level(logging.DEBUG)  # every library's debug log, the HTTP client's included
    monkeypatch.setenv("OCI_MAGIC_API_KEY", KEY)
    shell.run_line_magic("config", f"OciMagics.endpoint = {server!r}")
    shell.run_line_magic("config", "OciMagics.view = 'text'")
    shell.run_cell("%%oci --rounds 1 --max-tokens 16\nanything")
    run = oci_magic.last_run()
    assert run.model.startswith("tiny @ 127.0.0.1") and run.rounds[0].reply
    for line in ("status", "history", f"save {tmp_path / 'runs.ipynb'}"):
        shell.run_line_magic("oci", line)
    magics = shell.oci_magics
    # a wrong key: the refusal names the variable, not its value
    monkeypatch.setenv("OCI_MAGIC_API_KEY", KEY + "-wrong")
    shell.oci_magics.remote = None
    shell.run_cell("%%oci --rounds 1\nanything")
    printed = capsys.readouterr()
    places = {
        "printed": printed.out + printed.err,
        "logs": caplog.text,
        "records": json.dumps([asdict(r) for r in shell.oci_magics.runs], default=str),
        "notebook": (tmp_path / "runs.ipynb").read_text(),
        "sidebar": json.dumps(sidebar.state_message(magics), default=str),
        "conversation": json.dumps(shell.oci_magics.conversation.messages),
        "settings": repr({name: getattr(magics, name) for name in magics.trait_names()}),
    }
    assert "refused the API key (401)" in places["printed"] and "OCI_MAGIC_API_KEY" in places["printed"]
    assert "127.0.0.1" in places["logs"]  # the HTTP client did log its requests
    assert [where for where, text in places.items() if KEY in text] == []
