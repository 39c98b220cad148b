"""Running generated code in the user's live IPython shell.

The code goes through `shell.run_cell`, so it behaves like a cell the user ran: same namespace, magics,
rich displays and plots. What it prints reaches the user as it happens and is captured for the model;
its exception is turned into text; a time limit interrupts it. Unlike a cell the user ran, what it shows is
not kept by IPython's caches (`_`, `Out`, the output history: see caches.py); the run's record keeps it.
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

from oci_magic.candidates.eligibility import why_not_tried
from oci_magic.candidates.trial import Trial, run_trials
from oci_magic.executors import ExecutionResult
from oci_magic.executors.caches import kept_out_of_ipython_caches
from oci_magic.executors.guards import exit_guards, patched
from oci_magic.executors.outputs import OutputCollector
from oci_magic.executors.results import ErrorInfo, Executor
from oci_magic.notebook.changes import changes, snapshot
from oci_magic.notebook.diagnose import compact_traceback, failure_state
from oci_magic.safety.risks import Risk, risks
from oci_magic.undo.checkpoint import Checkpoint

__all__ = ["KernelExecutor", "ExecutionTimeout", "strip_ansi"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class ExecutionTimeout(BaseException):
    """Raised inside generated code when its time is up. A BaseException, so that the generated
    code's own `except Exception:` cannot swallow it."""


class _StreamCapture:
    """Stands in for sys.stdout/sys.stderr: what is written goes to the collector and, when the outputs
    are shown, on to the real stream, up to the shown-text budget (a cell cannot show a million lines)."""

    def __init__(
        self, stream: Any, name: str, collector: OutputCollector, budget: _ShownBudget | None
    ) -> None:
        self._stream, self._name, self._collector, self._budget = stream, name, collector, budget
        self.paused = False

    def write(self, text: str) -> int:
        if self.paused:  # IPython's own traceback or Out[] printing: shown whole, not collected
            return self._stream.write(text) if self._budget is not None else len(text)
        self._collector.add_stream(self._name, text)
        if self._budget is not None:
            shown = self._budget.take(text)
            if shown:
                self._stream.write(shown)
        return len(text)

    def flush(self) -> None:
        if self._budget is not None:
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno ...
        return getattr(self._stream, name)


class _ShownBudget:
    """How much printed text may still reach the cell; the rest is counted."""

    def __init__(self, limit: int) -> None:
        self.left, self.hidden = limit, 0

    def take(self, text: str) -> str:
        shown = text[: self.left]
        self.left -= len(shown)
        self.hidden += len(text) - len(shown)
        return shown


def shown_value(format_dict: dict, limit: int) -> dict:
    """The Out[] value's formats as a cell may show them: a text longer than `limit` becomes its head and
    tail with how much was left out between them (the record keeps its own capped copy)."""
    shown = {}
    for mime, value in format_dict.items():
        if isinstance(value, str) and len(value) > limit:
            half = limit // 2
            left_out = len(value) - 2 * half
            value = f"{value[:half]}\n… {left_out:,} characters not shown …\n{value[-half:]}"
        shown[mime] = value
    return shown


# After the first alarm, how often it fires again: code that catches the first one (`except BaseException`)
# meets the next. And how long past its limit a run may go before the user is told it is stuck in a C call.
ALARM_REPEAT = 1.0
STUCK_NOTICE_AFTER = 3.0
OVERRUN_WORTH_SAYING = 0.5  # Python code stops within milliseconds of the alarm; a C call takes longer


class _TimeLimit:
    """When the limit fired, and how far past it the code went (a C call does not see the alarm)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if seconds and seconds > 0 else None
        self.started = time.perf_counter()
        self.fired = False

    def fire(self, frame: Any = None) -> None:
        """The alarm's handler. From the second alarm on, the code is caught swallowing the first (a bare
        `except:` in a loop): the generated code's frames are also traced, so that the next line it runs,
        the `except` clause's own included, raises again and the exception escapes the handler."""
        if self.fired and frame is not None:
            _raise_on_next_line(frame)
        self.fired = True
        raise ExecutionTimeout()

    @property
    def overrun(self) -> float:
        """Seconds the code ran past its limit."""
        if self.seconds is None:
            return 0.0
        return max(time.perf_counter() - self.started - self.seconds, 0.0)


@contextmanager
def _time_limit(seconds: float | None, on_stuck: Callable[[str], None] | None = None):
    """Raise ExecutionTimeout in this thread after `seconds`, and again every ALARM_REPEAT seconds.

    On the main thread a SIGALRM timer also interrupts blocking calls such as time.sleep; elsewhere an
    asynchronous exception is set, which lands at the next Python bytecode. Neither reaches into a long C
    call (a regex, a hash, a numerical kernel): Python runs the handler only when the call returns. If the
    code is still running STUCK_NOTICE_AFTER seconds past its limit, `on_stuck(message)` says so.
    """
    limit = _TimeLimit(seconds)
    if limit.seconds is None:
        yield limit
        return
    notice = threading.Timer(
        limit.seconds + STUCK_NOTICE_AFTER,
        lambda: on_stuck and on_stuck(_stuck_message(limit.seconds, STUCK_NOTICE_AFTER)),
    )
    notice.daemon = True
    notice.start()
    try:
        if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGALRM, lambda signum, frame: limit.fire(frame))
            previous_trace = sys.gettrace()  # a debugger's, if one is attached
            signal.setitimer(signal.ITIMER_REAL, limit.seconds, ALARM_REPEAT)
            try:
                yield limit
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                sys.settrace(previous_trace)
            return
        target = threading.get_ident()

        def raise_in_target() -> None:
            limit.fired = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(target), ctypes.py_object(ExecutionTimeout)
            )

        timer = threading.Timer(limit.seconds, raise_in_target)
        timer.start()
        try:
            yield limit
        finally:
            timer.cancel()
    finally:
        notice.cancel()


def _raise_on_next_line(frame: Any) -> None:
    """Make the generated code's frames (those below IPython's) raise ExecutionTimeout at their next line."""

    def raise_timeout(frame, event, arg):
        if event == "line":
            raise ExecutionTimeout()  # CPython then turns tracing off: it fires once per alarm
        return raise_timeout

    ipython_dir = _ipython_dir()
    while frame is not None and not frame.f_code.co_filename.startswith(ipython_dir):
        frame.f_trace, frame.f_trace_lines = raise_timeout, True
        frame = frame.f_back
    sys.settrace(lambda *args: None)  # line events reach frames' own tracers only while a tracer is set


def _stuck_message(seconds: float, past: float) -> str:
    return (
        f"oci · the code is {past:g} s past its {seconds:g} s limit, inside a call that does not respond to "
        "interrupts (C code: a regex, a hash, a numerical routine…). It stops when that call returns; an "
        "interrupt will not stop it sooner. Restarting the kernel stops it at once but loses its variables.\n"
    )


def _ipython_dir() -> str:
    import IPython

    return str(Path(IPython.__file__).parent)


def format_error(exc: BaseException, code: str | None = None) -> ErrorInfo:
    """The exception as the user sees it (the frames of the generated code onwards, no ANSI) and, given
    the `code`, as the model is told it: library frames collapsed and the values at the failing line."""
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
    feedback = None
    if code is not None and tb is not None and not isinstance(exc, SyntaxError):
        own_file = tb.tb_frame.f_code.co_filename
        try:
            state = failure_state(exc, tb, own_file, code)
            feedback = strip_ansi(compact_traceback(exc, tb, own_file) + (f"\n\n{state}" if state else ""))
        except Exception:  # the diagnosis must never cost the user the error itself
            feedback = None
    return ErrorInfo(
        type=type(exc).__name__,
        message=strip_ansi(message),
        traceback=text.rstrip(),
        line=exc.lineno if isinstance(exc, SyntaxError) else _generated_line(tb),
        feedback=feedback,
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


class KernelExecutor(Executor):
    """Runs code in `shell` (an IPython InteractiveShell, the kernel's own).

    With `show_outputs` (the text view) what the code prints and displays appears in the cell as usual;
    without it (the widget view) it is only collected, and the view shows it in the round's own panel.
    """

    def __init__(
        self,
        shell: Any,
        *,
        show_outputs: bool = True,
        output_limit: int = 1_000_000,
        shown_limit: int = 200_000,
    ) -> None:
        self.shell = shell
        self.show_outputs = show_outputs
        self.output_limit = output_limit  # characters of printed text kept for the record and the model
        self.shown_limit = shown_limit  # characters of it shown in the cell (text view)
        #: The run's way back (`%oci undo`), when undo is on: each piece of code is checked in before it runs.
        self.checkpoint: Checkpoint | None = None

    @property
    def namespace(self) -> dict[str, Any]:
        """The user's variables: what the loop checks a run left behind (outcome.py)."""
        return self.shell.user_ns

    @contextmanager
    def _captured(self, collector: OutputCollector):
        """Route stdout/stderr, rich displays and the Out[] value into `collector` for one execution.

        When the outputs are shown, IPython's own traceback and Out[] printing still reach the user but
        are not collected as printed text: the model gets the error and the value cleanly from the result.
        """
        show = self.show_outputs
        budget = _ShownBudget(self.shown_limit) if show else None
        out = _StreamCapture(sys.stdout, "stdout", collector, budget)
        err = _StreamCapture(sys.stderr, "stderr", collector, budget)

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
            if show:  # a 60 MB bytes value's repr is 240 MB of text: the cell gets its head and tail
                original_format(shown_value(format_dict, self.shown_limit), md_dict)

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
                patched(self.shell, "_showtraceback", shown_uncollected(original_showtraceback)),
                patched(hook, "start_displayhook", start_displayhook),
                patched(hook, "write_output_prompt", write_output_prompt),
                patched(hook, "write_format_data", write_format_data),
                patched(hook, "finish_displayhook", finish_displayhook),
                patched(display_pub, "publish", publish),
                patched(display_pub, "clear_output", clear_output),
            ):
                yield
        finally:
            sys.stdout, sys.stderr = saved
            if budget is not None and budget.hidden:
                kept = (
                    f"the first {self.output_limit:,} characters are kept"
                    if collector.hidden_chars
                    else "all of them are kept"
                )
                where = f"{kept} in _oci.rounds[n].output"
                print(f"… {budget.hidden:,} more characters printed, not shown here ({where})")

    def _check_in(self, code: str, notices: Any) -> None:
        """Copy what the code may change in place, before it runs; say at once what undo will not cover."""
        try:
            python = self.shell.transform_cell(code)  # %pip and !ls as the calls they become
        except Exception:
            python = code
        for warning in self.checkpoint.before_code(python, self.shell.user_ns):
            notices.write(f"oci · undo: {warning}\n")
        notices.flush()

    def risks(self, code: str) -> list[Risk]:
        """What `code` would do outside the kernel that the user should agree to first (safety/risks.py),
        read from the Python that `%pip`, `!rm` and `%%bash` become, with this kernel's variables."""
        try:
            python = self.shell.transform_cell(code)
        except Exception:  # IPython syntax it cannot turn into Python: it fails before doing anything
            return []
        return risks(python, self.shell.user_ns)

    def try_codes(
        self, codes: list[str], timeout: float | None, call: frozenset[str] = frozenset()
    ) -> list[Trial] | str:
        """Each code tried on the user's data in a fork of this kernel (candidates/trial.py), where nothing
        it does reaches the namespace, the notebook or the history; or why they cannot be (then none is)."""
        try:
            pythons = [self.shell.transform_cell(code) for code in codes]
        except Exception as exc:  # IPython syntax it cannot turn into Python: the real run will say so
            return f"a candidate is not valid IPython ({type(exc).__name__})"
        reason = why_not_tried(pythons, self.shell.user_ns)
        if reason is not None:
            return reason
        return run_trials(self.shell, codes, timeout, call)

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
        notices = sys.stderr  # the cell's own stream: a stuck-code notice must reach the user, uncollected

        def on_stuck(message: str) -> None:
            notices.write(message)
            notices.flush()

        if self.checkpoint is not None:
            self._check_in(code, notices)
        before = snapshot(self.shell.user_ns)
        with self._captured(collector):
            try:
                with (
                    exit_guards(self.shell),
                    kept_out_of_ipython_caches(self.shell),
                    _time_limit(timeout, on_stuck) as limit,
                ):
                    result = self.shell.run_cell(code, store_history=False, silent=False)
            except ExecutionTimeout:  # the alarm fired after the code, inside IPython's bookkeeping
                timed_out = True
        collector.flush()
        sys.stdout.flush()
        if self.checkpoint is not None:
            self.checkpoint.after_code(self.shell.user_ns)
        duration = time.perf_counter() - started
        output = strip_ansi(collector.text)
        exc = None if result is None else (result.error_before_exec or result.error_in_exec)
        if isinstance(exc, ExecutionTimeout):
            timed_out, exc = True, None
        common = {
            "output": output,
            "outputs": collector.outputs,
            "duration": duration,
            "hidden_chars": collector.hidden_chars,
            "defined": changes(before, self.shell.user_ns),
        }
        if isinstance(exc, KeyboardInterrupt):
            return ExecutionResult(interrupted=True, **common)
        return ExecutionResult(
            error=format_error(exc, code) if exc is not None else None,
            timed_out=timed_out or limit.fired,
            # How long a call that ignored the alarm kept the code running past its limit (a C call).
            overrun=limit.overrun if limit.fired and limit.overrun > OVERRUN_WORTH_SAYING else 0.0,
            **common,
        )
