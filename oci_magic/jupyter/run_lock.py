"""One `%%oci` run at a time in this process.

The lock is the process's, not a kernel's state: a llama context is not thread-safe, and a run swaps
sys.stdout and IPython's display hooks, which every shell of the process shares.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from oci_magic.errors import RunInProgressError

__all__ = ["one_run_at_a_time"]

_run_lock = threading.Lock()
_running_thread: int | None = None


@contextmanager
def one_run_at_a_time(action: str = "start another %%oci") -> Iterator[None]:
    """Hold the process's run lock for a run: a run from another thread waits for the one in progress; one
    started by the generated code of the run in progress (same thread) is refused: it would wait forever."""
    global _running_thread
    if _running_thread == threading.get_ident():
        raise RunInProgressError(
            f"a %%oci run is in progress, and the code it runs cannot {action}; "
            "run it from its own cell once this one has finished"
        )
    if not _run_lock.acquire(blocking=False):
        print("oci · another %%oci run is in progress; this one starts when it finishes…")
        _run_lock.acquire()
    _running_thread = threading.get_ident()
    try:
        yield
    finally:
        _running_thread = None
        _run_lock.release()
