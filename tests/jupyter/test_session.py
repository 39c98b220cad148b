"""The per-kernel session: the user's cells that raised (for %oci fix), the backend installed with
set_backend, and one run at a time."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from helpers import ScriptedBackend

from oci_magic.errors import RunInProgressError
from oci_magic.jupyter import session


def cell_result(count: int, source: str, error: Exception | None, *, stored: bool = True):
    info = SimpleNamespace(store_history=stored, raw_cell=source)
    return SimpleNamespace(info=info, execution_count=count, error_before_exec=None, error_in_exec=error)


def test_the_cells_that_raised_are_kept_newest_last_and_only_the_last_fifty():
    state = session.Session()
    state.record_cell(cell_result(1, "1 / 0", ZeroDivisionError("division by zero")))
    state.record_cell(cell_result(2, "print(1)", None))
    state.record_cell(cell_result(3, "generated()", NameError("x"), stored=False))  # the loop's own code
    assert list(state.failed_cells) == [1]
    assert state.failed_cells[1].error.type == "ZeroDivisionError"
    for count in range(4, 4 + session.FAILED_CELLS_KEPT):
        state.record_cell(cell_result(count, "x", KeyError("k")))
    assert len(state.failed_cells) == session.FAILED_CELLS_KEPT and 1 not in state.failed_cells


def test_set_backend_takes_what_can_answer_and_says_what_cannot():
    backend = ScriptedBackend([])
    try:
        session.set_backend(backend)
        assert session.current().backend is backend
        with pytest.raises(TypeError, match="stream_chat"):
            session.set_backend(object())
    finally:
        session.set_backend(None)
    assert session.current().backend is None


def test_a_run_inside_a_run_is_refused_and_another_thread_waits_its_turn():
    order = []
    with session.one_run_at_a_time():
        with pytest.raises(RunInProgressError, match="cannot start another"):
            with session.one_run_at_a_time():
                pass

        def other() -> None:
            with session.one_run_at_a_time():
                order.append("other")

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.3)
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]
