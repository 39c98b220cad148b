"""Whether candidates may be tried before one runs for real, and why not: a trial runs on the user's real data
in a fork of the kernel (trial.py), which keeps the kernel's variables safe but nothing outside the process.

- Code with effects outside the process (writes, moves or deletes files, runs commands, uses the network,
  installs packages; the undo analysis finds these) is never run as a trial: a trial that deletes a file
  deletes it.
- Inputs that do not survive a fork are not handed to one: an open connection or file (the child would
  share, and could close or advance, the parent's), a generator or iterator (a trial would consume the
  parent's copy too when it wraps a stream), a tensor on a GPU, a running thread.
- Inputs larger than the memory trials may take: several forks that each change a large table could each
  hold a copy of it.
"""

from __future__ import annotations

import ast
import collections.abc
import io
import socket
import threading
import types
from typing import Any

from oci_magic.candidates.trial import can_fork
from oci_magic.undo.checkpoint import _device
from oci_magic.undo.sizes import human, size_of
from oci_magic.undo.touches import Effect, touches

__all__ = ["why_not_tried", "outside_effects", "TRIAL_MEMORY_SHARE"]

# The share of the memory free now that the inputs of the trials together may take (each trial may copy what
# it changes of them).
TRIAL_MEMORY_SHARE = 0.5
_NOT_DATA = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
_CONNECTION_MODULES = ("sqlite3", "sqlalchemy", "psycopg", "psycopg2", "pymysql", "duckdb", "pyodbc", "redis")


def outside_effects(python: str, namespace: dict[str, Any]) -> list[Effect]:
    """What the code does outside the kernel's namespace, as the undo analysis says it."""
    return touches(python, namespace).outside


def _read_names(python: str) -> set[str]:
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _unforkable(value: Any) -> str | None:
    """Why a value cannot be handed to a forked trial, or None."""
    if isinstance(value, (io.IOBase, socket.socket)):  # before iterators: a file is one too
        return "an open file or socket"
    if isinstance(value, (types.GeneratorType, types.AsyncGeneratorType)) or (
        isinstance(value, collections.abc.Iterator) and not isinstance(value, (str, bytes))
    ):
        return "an iterator (a trial would use up its items)"
    if isinstance(value, threading.Thread):
        return "a thread"
    if type(value).__module__.split(".")[0] in _CONNECTION_MODULES:
        return "a database connection"
    device = _device(value)
    if device:
        return f"on {device}"
    return None


def _free_memory() -> int | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def why_not_tried(pythons: list[str], namespace: dict[str, Any]) -> str | None:
    """Why these candidates (IPython syntax already turned into Python) cannot be tried in forks of the
    kernel, in words for the user; None when they can."""
    if not can_fork():
        return "this system cannot fork the kernel to try candidates"
    for python in pythons:
        effects = outside_effects(python, namespace)
        if effects:
            return f"a candidate {effects[0]}, and a trial run would do it for real"
    read = set().union(*(_read_names(python) for python in pythons)) if pythons else set()
    inputs = {
        name: namespace[name]
        for name in sorted(read)
        if name in namespace and not isinstance(namespace[name], _NOT_DATA)
    }
    for name, value in inputs.items():
        reason = _unforkable(value)
        if reason is not None:
            return f"`{name}` is {reason}, which a trial cannot be given"
    free = _free_memory()
    if free is not None:
        size = sum(size_of(value) for value in inputs.values())
        if size * len(pythons) > TRIAL_MEMORY_SHARE * free:
            return (
                f"the inputs take {human(size)}: {len(pythons)} trials could need more than half the "
                f"{human(free)} of memory free"
            )
    return None
