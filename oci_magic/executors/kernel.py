"""Running generated code in the user's live IPython shell.

The code goes through `shell.run_cell`, so it behaves like a cell the user ran: same namespace, magics,
rich displays and plots. What it prints reaches the user as it happens and is captured for the model;
its exception is turned into text; a time limit interrupts it.
"""

from __future__ import annotations

import ctypes
import re
import signal
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..records import ErrorInfo
from . import ExecutionResult

__all__ = ["KernelExecutor", "ExecutionTimeout", "strip_ansi"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class ExecutionTimeout(BaseException):
    """Raised inside generated code when its time is up. A BaseException, so that the generated
    code's own `except Exception:` cannot swallow it."""


class _Tee:
    """A stream that writes to the user's stream and keeps a copy (up to a limit)."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._parts: list[str] = []
        self._size = 0
        self._limit = limit
        self.paused = False

    def write(self, text: str) -> int:
        if not self.paused and self._size < self._limit:
            self._parts.append(text[: self._limit - self._size])
            self._size += len(self._parts[-1])
        return self._stream.write(text)

    def text(self) -> str:
        return "".join(self._parts)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, fileno ...
        return getattr(self._stream, name)


@contextmanager
def _time_limit(seconds: float | None):
    """Raise ExecutionTimeout in this thread after `seconds`.

    On the main thread a SIGALRM timer also interrupts blocking calls such as time.sleep; elsewhere an
    asynchronous exception is set, which lands at the next Python bytecode.
    """
    if not seconds or seconds <= 0:
        yield
        return
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():

        def on_alarm(signum, frame):
            raise ExecutionTimeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    target = threading.get_ident()
    timer = threading.Timer(
        seconds,
        lambda: ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(target), ctypes.py_object(ExecutionTimeout)
        ),
    )
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _ipython_dir() -> str:
    import IPython

    return str(Path(IPython.__file__).parent)


def format_error(exc: BaseException) -> ErrorInfo:
    """The exception as the model should see it: the frames of the generated code onwards, no ANSI."""
    tb, ipython_dir = exc.__traceback__, _ipython_dir()
    # Skip IPython's own frames (run_code's exec) so the traceback starts at the generated code.
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(ipython_dir):
        tb = tb.tb_next
    if isinstance(exc, SyntaxError):
        lines = traceback.format_exception_only(type(exc), exc)
    else:
        lines = traceback.format_exception(type(exc), exc, tb)
    text = strip_ansi("".join(lines))
    message = str(exc) if not isinstance(exc, SyntaxError) else (exc.msg or "")
    return ErrorInfo(type=type(exc).__name__, message=strip_ansi(message), traceback=text.rstrip())


@contextmanager
def _patched(obj: Any, name: str, replacement: Any):
    """Set `obj.name` for the duration of a block, then put back exactly what was there."""
    had_own = name in vars(obj)
    original = getattr(obj, name)
    setattr(obj, name, replacement)
    try:
        yield original
    finally:
        if had_own:
            setattr(obj, name, original)
        else:
            delattr(obj, name)  # back to the class's method


class KernelExecutor:
    """Runs code in `shell` (an IPython InteractiveShell, the kernel's own)."""

    def __init__(self, shell: Any, *, output_limit: int = 1_000_000) -> None:
        self.shell = shell
        self.output_limit = output_limit

    @contextmanager
    def _captured(self):
        """Tee stdout/stderr into two captures, paused while IPython shows a traceback or an Out[] value:
        the user sees those as usual, and the model gets them cleanly from the result instead."""
        out, err = _Tee(sys.stdout, self.output_limit), _Tee(sys.stderr, self.output_limit)

        def pause(paused: bool) -> None:
            out.paused = err.paused = paused

        def uncaptured(method):
            def call(*args, **kwargs):
                pause(True)
                try:
                    return method(*args, **kwargs)
                finally:
                    pause(False)

            return call

        hook = self.shell.displayhook

        def start_displayhook():
            pause(True)
            type(hook).start_displayhook(hook)

        def finish_displayhook():
            type(hook).finish_displayhook(hook)
            pause(False)

        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            with (
                _patched(self.shell, "_showtraceback", uncaptured(self.shell._showtraceback)),
                _patched(hook, "start_displayhook", start_displayhook),
                _patched(hook, "finish_displayhook", finish_displayhook),
            ):
                yield out, err
        finally:
            sys.stdout, sys.stderr = saved

    def _value_text(self, value: Any) -> str:
        """The text/plain form of the cell's last expression, as the user saw it in Out[]."""
        try:
            data, _ = self.shell.display_formatter.format(value)
            return data.get("text/plain", repr(value))
        except Exception:
            return repr(value)

    def run(self, code: str, *, timeout: float | None = None) -> ExecutionResult:
        started = time.perf_counter()
        result, timed_out = None, False
        with self._captured() as (out, err):
            try:
                with _time_limit(timeout):
                    result = self.shell.run_cell(code, store_history=False, silent=False)
            except ExecutionTimeout:  # the alarm fired after the code, inside IPython's bookkeeping
                timed_out = True
        sys.stdout.flush()
        duration = time.perf_counter() - started
        output = out.text() + err.text()
        if result is not None and result.result is not None:
            output += ("" if not output or output.endswith("\n") else "\n") + self._value_text(result.result)
        output = strip_ansi(output)
        exc = None if result is None else (result.error_before_exec or result.error_in_exec)
        if isinstance(exc, ExecutionTimeout):
            timed_out, exc = True, None
        if isinstance(exc, KeyboardInterrupt):
            return ExecutionResult(output=output, interrupted=True, duration=duration)
        return ExecutionResult(
            output=output,
            error=format_error(exc) if exc is not None else None,
            timed_out=timed_out,
            duration=duration,
        )
