"""The kernel's OciMagics: attached to the shell once, the settings under the name `%config` knows, the user's
cells that raised (for %oci fix), the backend installed with set_backend; and one run at a time."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import ScriptedBackend

import oci_magic
from oci_magic.errors import RunInProgressError
from oci_magic.jupyter import manager
from oci_magic.jupyter.run_lock import one_run_at_a_time


def cell_result(count: int, source: str, error: Exception | None, *, stored: bool = True):
    info = SimpleNamespace(store_history=stored, raw_cell=source)
    return SimpleNamespace(info=info, execution_count=count, error_before_exec=None, error_in_exec=error)


def test_the_cells_that_raised_are_kept_newest_last_and_only_the_last_fifty():
    state = manager.OciMagics()
    state.record_cell(cell_result(1, "1 / 0", ZeroDivisionError("division by zero")))
    state.record_cell(cell_result(2, "print(1)", None))
    state.record_cell(cell_result(3, "generated()", NameError("x"), stored=False))  # the loop's own code
    assert list(state.failed_cells) == [1]
    assert state.failed_cells[1].error.type == "ZeroDivisionError"
    for count in range(4, 4 + manager.FAILED_CELLS_KEPT):
        state.record_cell(cell_result(count, "x", KeyError("k")))
    assert len(state.failed_cells) == manager.FAILED_CELLS_KEPT and 1 not in state.failed_cells


def test_set_backend_takes_what_can_answer_and_says_what_cannot(shell):
    backend = ScriptedBackend([])
    try:
        oci_magic.set_backend(backend)
        assert shell.oci_magics.backend is backend
        with pytest.raises(TypeError, match="stream_chat"):
            oci_magic.set_backend(object())
    finally:
        oci_magic.set_backend(None)
    assert shell.oci_magics.backend is None


def test_one_owner_per_shell_kept_across_reloads_and_configured_as_OciMagics(shell, scripted, capsys):
    oci = shell.oci_magics
    assert manager.of(shell) is oci and oci.shell is shell
    scripted(["```python\nx = 1\n```"])
    shell.run_cell("%%oci\nset x")
    shell.run_line_magic("reload_ext", "oci_magic")
    assert shell.oci_magics is oci and [run.id for run in oci.runs] == [oci_magic.last_run().id]
    # %config sets, reads and lists the settings under the name users know.
    shell.run_line_magic("config", "OciMagics.max_rounds = 7")
    assert oci.max_rounds == 7 and shell.run_line_magic("config", "OciMagics.max_rounds") == 7
    capsys.readouterr()
    shell.run_line_magic("config", "OciMagics")
    assert "OciMagics.max_rounds" in capsys.readouterr().out
    # The magic keeps no state of its own: it reads the shell's.
    assert shell.magics_manager.registry["OciCommands"].manager is oci


def test_the_settings_start_from_the_shells_config(monkeypatch):
    from traitlets.config import Config, Configurable

    monkeypatch.setattr(manager, "_last_shell", manager._last_shell)  # this shell is gone after the test
    config = Config()
    config.OciMagics.max_rounds = 9  # as ipython_config.py's c.OciMagics.max_rounds = 9
    shell = Configurable(config=config)  # what an IPython shell is to its parts
    shell.configurables = []
    oci = manager.of(shell)
    assert oci.max_rounds == 9 and shell.configurables == [oci] and manager.of(shell) is oci


def test_outside_ipython_the_public_functions_say_where_they_work(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    monkeypatch.setattr(manager, "_last_shell", None)  # no shell has loaded oci_magic
    with pytest.raises(oci_magic.OciError, match="IPython shell or a Jupyter kernel"):
        oci_magic.last_run()


def test_a_run_inside_a_run_is_refused_and_another_thread_waits_its_turn():
    order = []
    with one_run_at_a_time():
        with pytest.raises(RunInProgressError, match="cannot start another"):
            with one_run_at_a_time():
                pass

        def other() -> None:
            with one_run_at_a_time():
                order.append("other")

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.3)
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]


def test_no_module_level_session_is_left():
    """The state is the shell's: nothing in the package reaches a module-level session."""
    package = Path(oci_magic.__file__).parent
    found = subprocess.run(
        ["grep", "-rnE", r"session\.current\(|\b_session\b|jupyter\.session\b|import session\b", str(package)]
        + ["--include=*.py"],
        capture_output=True,
        text=True,
    ).stdout
    assert found == "" and not (package / "jupyter" / "session.py").exists()
