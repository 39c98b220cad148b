"""The warm start: the model loads in the background once `%load_ext oci_magic` has run, and the part of
the first prompt that is known before the request (the system prompt, and the notebook's variables as they
are then) is evaluated ahead, so that the first `%%oci` starts writing as soon as a later one would.

It runs in a thread of the kernel: llama.cpp's load and evaluation release the GIL, so the user's cells run
meanwhile (sharing the CPU for a second or two). A `%%oci` that arrives during the load waits for it, the load
it would have done anyway, and its view says so (`wait_for`). One warm start per process at a time, like the
loaded model it makes (`llamacpp.load_cached`). A warm start that fails says nothing: the `%%oci` that
follows loads the model itself and reports what went wrong where the user reads it. What to load and how is
engine.py's (`engine.warm_up`); this module runs it and tells who waits how far it got.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["WarmStart", "begin", "current", "wait_for"]

#: How often a waiting `%%oci` looks at the load's progress (and lets Ctrl-C in).
POLL_SECONDS = 0.1


class Progress(Protocol):
    """What shows a load waited for (engine.LoadView is one)."""

    def loading(self, name: str, size_bytes: int) -> None: ...
    def load_progress(self, fraction: float) -> None: ...


@dataclass
class WarmStart:
    """One background `load(on_progress)` of the model `key` names (it returns the loaded backend, or None
    when there was nothing to do), then the evaluation of `prefix(backend)`, the first prompt's known start
    in the model's chat format."""

    key: Hashable
    load: Callable[[Callable[[float], None]], Any]
    prefix: Callable[[Any], str] | None = None
    fraction: float = 0.0  # of the load, as llama.cpp reports it
    loaded: bool = False
    error: str | None = None  # why it stopped early (said by the `%%oci` that loads again)
    evaluated_tokens: int = 0  # of the prompt's start, in the KV cache before the request
    started_at: float = field(default_factory=time.perf_counter)
    load_seconds: float = 0.0
    prepare_seconds: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            backend = self.load(self._progress)
            if backend is None:
                return
            self.loaded, self.load_seconds = True, time.perf_counter() - self.started_at
            if self.prefix is not None:
                started = time.perf_counter()
                self.evaluated_tokens = backend.evaluate_ahead(self.prefix(backend))
                self.prepare_seconds = time.perf_counter() - started
        except Exception as exc:  # noqa: BLE001 - said by the %%oci that loads again, not by a thread
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.done.set()

    def _progress(self, fraction: float) -> None:
        self.fraction = fraction

    def describe(self) -> str:
        """For `%oci status`: what the warm start did."""
        if not self.done.is_set():
            return "evaluating ahead" if self.loaded else f"loading in the background ({self.fraction:.0%})"
        if self.error is not None:
            return f"stopped: {self.error}"
        if not self.loaded:
            return "nothing to do: the model was loaded already"
        return (
            f"loaded in the background in {self.load_seconds:.1f} s; {self.evaluated_tokens} tokens of the "
            f"first prompt evaluated ahead in {self.prepare_seconds:.1f} s"
        )


_current: WarmStart | None = None
_lock = threading.Lock()


def current() -> WarmStart | None:
    """This process's warm start, started or finished; None when none was started."""
    return _current


def begin(
    key: Hashable, load: Callable[[Callable[[float], None]], Any], prefix: Callable[[Any], str] | None = None
) -> WarmStart:
    """Run `load`, then evaluate `prefix(backend)`, in a background thread (or return the warm start under
    way, when one is)."""
    global _current
    with _lock:
        if _current is not None and not _current.done.is_set():
            return _current
        _current = WarmStart(key, load, prefix)
        threading.Thread(target=_current.run, name="oci-magic warm start", daemon=True).start()
        return _current


def wait_for(key: Hashable, view: Progress, name: str, size_bytes: int) -> bool:
    """When a warm start is loading the model `key` names, wait for it, showing its progress in `view`;
    whether it loaded. Ctrl-C stops the wait (the load goes on in the background). Returns False at once
    when no warm start is loading that model."""
    warm = _current
    if warm is None or warm.loaded or warm.done.is_set() or warm.key != key:
        return False
    view.loading(f"{name} (loading since %load_ext)", size_bytes)
    shown = -1.0
    while not warm.done.wait(POLL_SECONDS) and not warm.loaded:
        if warm.fraction - shown >= 0.05:
            shown = warm.fraction
            view.load_progress(warm.fraction)
    return warm.loaded
