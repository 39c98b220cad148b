"""Shared fixtures: a real IPython shell with oci_magic loaded, a scripted backend for the loop's logic,
and a tiny real GGUF for llama.cpp."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import suite_config
import suite_environment  # noqa: F401  (the suite's own environment, set on import, before helpers)
from helpers import ScriptedBackend
from tiny_gguf import write_tiny_gguf

import oci_magic

# Tests marked `isolated` run in a child process: a native crash fails that test, not the run. Tests marked
# `ds1000` run on DS-1000's real problems, where a copy is given (--ds1000-data PATH).
pytest_plugins = ["isolated", "ds1000_data"]
suite_config.apply()  # $OCI_TEST_LLAMA: the suite under another llama.cpp configuration


@pytest.fixture(scope="session")
def ipython():
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shell.run_line_magic("load_ext", "oci_magic")
    shell.run_line_magic("config", "OciMagics.warm_start = False")  # as in the suite's kernels
    for line in suite_config.config_lines():  # $OCI_TEST_LLAMA
        shell.run_line_magic("config", line.removeprefix("%config "))
    return shell


def fresh_oci(shell, settings: dict) -> None:
    """Give `shell` a new OciMagics (no runs, no conversation) with `settings`, as a new kernel would have
    after `%load_ext oci_magic`."""
    old = shell.oci_magics
    shell.events.unregister("post_run_cell", old.record_cell)
    shell.configurables.remove(old)
    shell.configurables.remove(shell.magics_manager.registry["OciCommands"])  # registered again below
    del shell.oci_magics
    # %config merges what tests set (bad values too) into the shell's config, which a new OciMagics starts
    # from; `settings` holds the suite's own.
    shell.config.pop("OciMagics", None)
    oci_magic.load_ipython_extension(shell)
    for name, value in settings.items():
        setattr(shell.oci_magics, name, value)


@pytest.fixture
def shell(ipython):
    """The real IPython shell, with a fresh OciMagics (the suite's settings, no runs) and namespace for each
    test."""
    saved = dict(ipython.user_ns)
    oci = ipython.oci_magics
    settings = {name: getattr(oci, name) for name in oci.trait_names() if oci.trait_metadata(name, "config")}
    fresh_oci(ipython, settings)
    yield ipython
    ipython.user_ns.clear()
    ipython.user_ns.update(saved)
    fresh_oci(ipython, settings)


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


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt in this process during the test, as a Ctrl-C does. Python installs
    that handler at start only where SIGINT is not ignored, and a background job of a non-interactive shell
    (CI, `nohup pytest &`) starts with SIGINT ignored: a test that interrupts itself would wait in vain."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    return write_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny.gguf")


@pytest.fixture(scope="session")
def small_model() -> Path:
    """Gemma 3 270M from the PyPI package (the `small-model` extra)."""
    from oci_magic.models.resolve import resolve_model

    return resolve_model("small")[0]


@pytest.fixture
def comm_messages(monkeypatch):
    """Every widget message sent to the frontend during the test, as (comm id, type, data)."""
    import comm
    from comm.base_comm import BaseComm

    sent: list[tuple[str, str, dict]] = []

    class Recording(BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            sent.append((self.comm_id, msg_type, data or {}))

    monkeypatch.setattr(comm, "create_comm", lambda *args, **kwargs: Recording(*args, **kwargs))
    return sent


@pytest.fixture
def displays(shell, monkeypatch):
    """What reaches the cell's output area: every display published (data, metadata, update?)."""
    published: list[tuple[dict, bool]] = []
    original = shell.display_pub.publish

    def publish(data, metadata=None, *args, update=False, **kwargs):
        published.append((dict(data), update))
        return original(data, metadata, *args, update=update, **kwargs)

    monkeypatch.setattr(shell.display_pub, "publish", publish)
    return published


@pytest.fixture
def widget_views(shell, monkeypatch):
    """Makes %%oci show runs in the widget, and keeps each WidgetView it makes, in order."""
    from oci_magic.jupyter import calls

    made = []
    make = calls.make_view

    def recording(*args, **kwargs):
        view = make(*args, **kwargs)
        made.append(view)
        return view

    monkeypatch.setattr(calls, "make_view", recording)
    shell.run_line_magic("config", 'OciMagics.view = "widget"')
    return made
