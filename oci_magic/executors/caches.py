"""Keeping what generated code shows out of IPython's caches.

A cell the user runs leaves its values in IPython's caches: `_`, `__`, `___`, `_N` and `Out[N]` (set by the
displayhook, `_N` in `user_ns_hidden` too) and, since IPython 9, the output history
(`history_manager.outputs`: every display, Out[] value and printed piece, kept for `%notebook`). Generated
code runs as a nested cell inside the user's `%%oci` cell, so those caches would keep every value it shows
(a 100 MB string, a large DataFrame's repr) alive for the life of the kernel, under no name the user knows.

The run's own record keeps what the code printed and displayed, capped. So for one execution the
displayhook neither sets those names nor logs the value, and afterwards the output history loses exactly
what the execution added to it; what was there before (the user's own cells) is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from oci_magic.executors.guards import patched

__all__ = ["kept_out_of_ipython_caches"]

# Per execution count: how many outputs it had, and how many pieces its last one held if that was a
# stream (IPython appends printed pieces to the last stream output of the count, which may be the user's).
_Mark = dict[Any, tuple[int, int | None]]


def _ignore(*args: Any, **kwargs: Any) -> None:
    return None


def _stream_pieces(output: Any) -> list | None:
    bundle = getattr(output, "bundle", None)
    pieces = bundle.get("stream") if isinstance(bundle, dict) else None
    return pieces if isinstance(pieces, list) else None


def _mark(outputs: dict | None) -> _Mark:
    mark: _Mark = {}
    for count, items in (outputs or {}).items():
        pieces = _stream_pieces(items[-1]) if items else None
        mark[count] = (len(items), None if pieces is None else len(pieces))
    return mark


def _forget_since(outputs: dict | None, mark: _Mark) -> None:
    """Remove from the output history what was added to it after `mark` was taken."""
    for count in list(outputs or {}):
        if count not in mark:
            del outputs[count]
            continue
        length, pieces = mark[count]
        items = outputs[count]
        del items[length:]
        if pieces is not None:
            del _stream_pieces(items[-1])[pieces:]


@contextmanager
def kept_out_of_ipython_caches(shell: Any) -> Iterator[None]:
    """For the duration of the block, what runs in `shell` leaves nothing in IPython's output caches."""
    outputs = getattr(getattr(shell, "history_manager", None), "outputs", None)
    mark = _mark(outputs)
    hook = shell.displayhook
    try:
        with ExitStack() as stack:
            for name in ("update_user_ns", "log_output"):  # `_`, `_N`, Out[N]; the output history
                if hasattr(hook, name):
                    stack.enter_context(patched(hook, name, _ignore))
            yield
    finally:
        _forget_since(outputs, mark)
