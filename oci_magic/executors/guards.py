"""Guards that keep generated code from ending the kernel it runs in.

While generated code runs, the calls that would end or stop the kernel process raise `KernelExitBlocked`
instead: `exit()`/`quit()` (IPython's exiter), `os._exit`, `os.abort`, and `os.kill`/`os.killpg`/
`signal.raise_signal`/`signal.pthread_kill` aimed at the kernel's own process with a signal that would end or
stop it. `sys.exit()` needs no guard: IPython already turns its SystemExit into an error of the cell.

The guards are put in place for one execution and taken away after it, exactly as they were. They are not a
sandbox: code that reached the originals before (`from os import _exit`), ctypes, or a C extension gets past
them, and files, the network and the user's data stay within reach.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

__all__ = ["KernelExitBlocked", "exit_guards"]


class KernelExitBlocked(BaseException):
    """Raised in generated code in place of a call that would end the kernel. A BaseException, so that
    the code's own `except Exception:` does not swallow it."""


# Signals whose default action is harmless to the process (ignored, or "continue").
_HARMLESS = {signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGCONT}
_WHY = "it would end the kernel and every variable in it, so oci-magic stopped it"


def _is_lethal(sig: int) -> bool:
    """Whether `sig`, delivered to this process now, would end or stop it."""
    if sig == 0 or sig in _HARMLESS:
        return False
    if sig in (signal.SIGKILL, signal.SIGSTOP):
        return True
    try:
        handler = signal.getsignal(sig)
    except ValueError:  # not a valid signal number: the original call will say so
        return False
    return handler is signal.SIG_DFL  # a Python handler (SIGINT's KeyboardInterrupt) or SIG_IGN is survivable


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


@contextmanager
def patched(obj: Any, name: str, replacement: Any) -> Iterator[Any]:
    """Set `obj.name` for the duration of a block (yielding the original, None if it had none), then put back
    exactly what was there: an instance's own attribute is removed again so that its class's method shows
    through, and an attribute it did not have is removed."""
    had_own = name in vars(obj)
    original = getattr(obj, name, None)
    setattr(obj, name, replacement)
    try:
        yield original
    finally:
        if had_own:
            setattr(obj, name, original)
        else:
            delattr(obj, name)


@contextmanager
def exit_guards(shell: Any) -> Iterator[None]:
    """Block the ways generated code could end this process, for the duration of the block."""
    kernel_pid = os.getpid()

    def in_kernel() -> bool:
        # A child forked by the generated code (multiprocessing) inherits the guards: it must still exit.
        return os.getpid() == kernel_pid

    real_exit, real_abort, real_kill, real_killpg = os._exit, os.abort, os.kill, os.killpg
    real_raise, real_pthread_kill = signal.raise_signal, signal.pthread_kill

    def guarded_exit(status: int) -> None:
        if in_kernel():
            raise KernelExitBlocked(f"os._exit({status}) was called; {_WHY}")
        real_exit(status)

    def guarded_abort() -> None:
        if in_kernel():
            raise KernelExitBlocked(f"os.abort() was called; {_WHY}")
        real_abort()

    def guarded_kill(pid: int, sig: int) -> None:
        hits_kernel = pid in (kernel_pid, 0, -1) or (pid < -1 and -pid == os.getpgrp())
        if in_kernel() and hits_kernel and _is_lethal(sig):
            raise KernelExitBlocked(f"os.kill({pid}, {_signal_name(sig)}) targets the kernel; {_WHY}")
        real_kill(pid, sig)

    def guarded_killpg(pgid: int, sig: int) -> None:
        if in_kernel() and pgid in (0, os.getpgrp()) and _is_lethal(sig):
            raise KernelExitBlocked(f"os.killpg({pgid}, {_signal_name(sig)}) targets the kernel; {_WHY}")
        real_killpg(pgid, sig)

    def guarded_raise(sig: int) -> None:
        if in_kernel() and _is_lethal(sig):
            raise KernelExitBlocked(f"signal.raise_signal({_signal_name(sig)}) was called; {_WHY}")
        real_raise(sig)

    def guarded_pthread_kill(thread_id: int, sig: int) -> None:
        if in_kernel() and _is_lethal(sig):
            raise KernelExitBlocked(f"signal.pthread_kill(…, {_signal_name(sig)}) was called; {_WHY}")
        real_pthread_kill(thread_id, sig)

    def guarded_ask_exit() -> None:
        raise KernelExitBlocked(f"exit() or quit() was called; {_WHY}")

    with ExitStack() as stack:
        for obj, name, guard in (
            (os, "_exit", guarded_exit),
            (os, "abort", guarded_abort),
            (os, "kill", guarded_kill),
            (os, "killpg", guarded_killpg),
            (signal, "raise_signal", guarded_raise),
            (signal, "pthread_kill", guarded_pthread_kill),
            # exit()/quit() in IPython and ipykernel end in shell.ask_exit (ipykernel stops after the cell);
            # IPython's base InteractiveShell has none (its exit() would fail): it gets the guard too.
            (shell, "ask_exit", guarded_ask_exit),
        ):
            stack.enter_context(patched(obj, name, guard))
        yield
