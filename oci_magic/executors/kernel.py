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
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..records import ErrorInfo
from . import ExecutionResult
from .outputs import OutputCollector

__all__ = ["KernelExecutor", "ExecutionTimeout", "strip_ansi"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class ExecutionTimeout(BaseException):
    """Raised inside generated code when its time is up. A BaseException, so that the generated
    code's own `except Exception:` cannot swallow it."""


class _StreamCapture:
    """Stands in for sys.stdout/sys.stderr: what is written goes to the collector and, when the outputs are
    shown, on to the real stream."""

    def __init__(self, stream: Any, name: str, collector: OutputCollector, show: bool) -> None:
        self._stream, self._name, self._collector, self._show = stream, name, collector, show
        self.paused = False

    def write(self, text: str) -> int:
        if not self.paused:
            self._collector.add_stream(self._name, text)
        return self._stream.write(text) if self._show else len(text)

    def flush(self) -> None:
        if self._show:
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno ...
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
    return ErrorInfo(
        type=type(exc).__name__,
        message=strip_ansi(message),
        traceback=text.rstrip(),
        line=exc.lineno if isinstance(exc, SyntaxError) else _generated_line(tb),
    )


def _generated_line(tb) -> int | None:
    """The line of the generated code where the error happened: the deepest frame still in the code's own
    file (the first frame is the code; later ones may be libraries it called)."""
    if tb is None:
        return None
    own_file, line = tb.tb_frame.f_code.co_filename, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == own_file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


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
    """Runs code in `shell` (an IPython InteractiveShell, the kernel's own).

    With `show_outputs` (the text view) what the code prints and displays appears in the cell as usual;
    without it (the widget view) it is only collected, and the view shows it in the round's own panel.
    """

    def __init__(self, shell: Any, *, show_outputs: bool = True, output_limit: int = 1_000_000) -> None:
        self.shell = shell
        self.show_outputs = show_outputs
        self.output_limit = output_limit

    @contextmanager
    def _captured(self, collector: OutputCollector):
        """Route stdout/stderr, rich displays and the Out[] value into `collector` for one execution.

        When the outputs are shown, IPython's own traceback and Out[] printing still reach the user but
        are not collected as printed text: the model gets the error and the value cleanly from the result.
        """
        show = self.show_outputs
        out = _StreamCapture(sys.stdout, "stdout", collector, show)
        err = _StreamCapture(sys.stderr, "stderr", collector, show)

        def pause(paused: bool) -> None:
            out.paused = err.paused = paused

        def shown_uncollected(original):
            """`original`, called only when outputs are shown, its printing not collected as text (a
            terminal prints displays and tracebacks to stdout; they are collected in their own form)."""

            def call(*args, **kwargs):
                if not show:
                    return None
                pause(True)
                try:
                    return original(*args, **kwargs)
                finally:
                    pause(False)

            return call

        # The originals, bound before patching: calling them shows things exactly as IPython would.
        hook, display_pub = self.shell.displayhook, self.shell.display_pub
        original_showtraceback = self.shell._showtraceback
        original_start, original_prompt = hook.start_displayhook, hook.write_output_prompt
        original_format, original_finish = hook.write_format_data, hook.finish_displayhook
        original_publish, original_clear = display_pub.publish, display_pub.clear_output

        def start_displayhook():
            pause(True)
            if show:
                original_start()

        def write_output_prompt():
            if show:
                original_prompt()

        def write_format_data(format_dict, md_dict=None):
            collector.add_result(format_dict, md_dict)
            if show:
                original_format(format_dict, md_dict)

        def finish_displayhook():
            if show:
                original_finish()
            pause(False)

        show_publish, show_clear = shown_uncollected(original_publish), shown_uncollected(original_clear)

        def publish(data, metadata=None, *args, transient=None, update=False, **kwargs):
            collector.add_display(data, metadata, transient=transient, update=update)
            show_publish(data, metadata, *args, transient=transient, update=update, **kwargs)

        def clear_output(wait=False):
            collector.clear()
            show_clear(wait)

        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            with (
                _patched(self.shell, "_showtraceback", shown_uncollected(original_showtraceback)),
                _patched(hook, "start_displayhook", start_displayhook),
                _patched(hook, "write_output_prompt", write_output_prompt),
                _patched(hook, "write_format_data", write_format_data),
                _patched(hook, "finish_displayhook", finish_displayhook),
                _patched(display_pub, "publish", publish),
                _patched(display_pub, "clear_output", clear_output),
            ):
                yield
        finally:
            sys.stdout, sys.stderr = saved

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: Callable[[list[dict]], None] | None = None,
    ) -> ExecutionResult:
        """Run `code`; `on_output(outputs)` is called with the outputs so far each time they change."""
        started = time.perf_counter()
        result, timed_out = None, False
        collector = OutputCollector(text_limit=self.output_limit, on_change=on_output)
        with self._captured(collector):
            try:
                with _time_limit(timeout):
                    result = self.shell.run_cell(code, store_history=False, silent=False)
            except ExecutionTimeout:  # the alarm fired after the code, inside IPython's bookkeeping
                timed_out = True
        sys.stdout.flush()
        duration = time.perf_counter() - started
        output = strip_ansi(collector.text)
        exc = None if result is None else (result.error_before_exec or result.error_in_exec)
        if isinstance(exc, ExecutionTimeout):
            timed_out, exc = True, None
        common = {"output": output, "outputs": collector.outputs, "duration": duration}
        if isinstance(exc, KeyboardInterrupt):
            return ExecutionResult(interrupted=True, **common)
        return ExecutionResult(
            error=format_error(exc) if exc is not None else None, timed_out=timed_out, **common
        )
