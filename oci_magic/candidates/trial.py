"""Trying candidate code on the user's real data without touching it: each candidate runs in a forked copy
of the kernel process.

`os.fork` gives the child the kernel's memory as it is (every variable, the imported libraries, open figures)
copy-on-write: what the candidate changes, drops, appends or rebinds changes the child's copy only, and the
child ends when the candidate does. Nothing reaches the notebook: the child's prints and displays are captured
and sent back with what the code computed (values.py), through a pipe, and the child leaves with `os._exit`
(no atexit handler, no flush of the kernel's sockets). Forking costs milliseconds: the memory is shared until
written.

What a fork does not isolate, and eligibility.py therefore keeps from trials: files, commands, packages and
the network (a trial that deletes a file deletes it), and inputs that do not survive a fork (an open
connection, a GPU tensor, an iterator).

A candidate that answers with a function computes nothing until it is called: a function the request names
(`call`) is called in the trial with the notebook's values of its parameters (or their defaults), and what it
returns is its result; one that raises on the user's data did not run.
"""

from __future__ import annotations

import ast
import builtins
import copy
import gc
import hashlib
import inspect
import io
import os
import pickle
import selectors
import signal
import sys
import time
import types
import warnings
from dataclasses import dataclass, field
from typing import Any

from oci_magic.candidates.values import LARGEST_PICKLE, Opaque, comparable
from oci_magic.notebook.changes import changes, listed, snapshot
from oci_magic.notebook.summary import describe_value
from oci_magic.undo.sizes import size_of
from oci_magic.undo.touches import touches

__all__ = ["Trial", "run_trials", "can_fork"]

PRINTED_LIMIT = 100_000  # characters of printed text a trial keeps
DELETED = Opaque(("deleted", ""))  # the value of a name the candidate deleted


@dataclass
class Trial:
    """What one candidate did in its trial: whether it ran, and what it computed."""

    ok: bool = False
    error: str | None = None  # 'ZeroDivisionError: division by zero', 'timed out after 60 s', ...
    printed: str = ""  # what it printed and displayed (text/plain)
    values: dict[str, Any] = field(default_factory=dict)  # "last", "figures", "name:x": comparable values
    new_names: list[str] = field(default_factory=list)  # names it bound that the namespace did not have
    changed_names: list[str] = field(default_factory=list)  # names of the namespace it rebound or changed
    described: str = ""  # what it left, as a line shows it: 'result: int = 6; df: DataFrame 3×2 (changed)'
    seconds: float = 0.0


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def run_trials(
    shell: Any, codes: list[str], timeout: float | None, call: frozenset[str] = frozenset()
) -> list[Trial]:
    """Each code run in its own fork of this process, all at once; their trials in order. A trial still
    running after `timeout` seconds is killed. An interrupt kills every child and is raised again. A new
    function named in `call` is called once the code has run (see the module's docstring)."""
    started = time.perf_counter()
    children: dict[int, tuple[int, int]] = {}  # read end -> (index, pid)
    chunks: dict[int, list[bytes]] = {}
    trials = [Trial(error="ended without a result") for _ in codes]
    selector = selectors.DefaultSelector()
    try:
        for index, code in enumerate(codes):
            read_end, pid = _fork(shell, code, call)
            children[read_end] = (index, pid)
            chunks[read_end] = []
            selector.register(read_end, selectors.EVENT_READ)
        deadline = None if not timeout else started + timeout
        while selector.get_map():
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                break
            for key, _ in selector.select(left):
                data = os.read(key.fd, 1 << 20)
                if data:
                    chunks[key.fd].append(data)
                    continue
                selector.unregister(key.fd)
                index, _pid = children[key.fd]
                trials[index] = _received(b"".join(chunks[key.fd]))
        for read_end in list(selector.get_map()):  # still running at the deadline
            index, _pid = children[read_end]
            trials[index] = Trial(error=f"timed out after {timeout:g} s", seconds=timeout or 0.0)
    finally:
        for read_end, (_index, pid) in children.items():
            _end(pid)
            os.close(read_end)
        selector.close()
    return trials


def _received(data: bytes) -> Trial:
    try:
        return pickle.loads(data)
    except Exception:  # the child ended mid-way (os._exit in the code, a signal, memory)
        return Trial(error="ended without a result (the code stopped its own process, or ran out of memory)")


def _end(pid: int) -> None:
    """The child gone, and reaped: killed if it still runs."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _fork(shell: Any, code: str, call: frozenset[str]) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    with (
        warnings.catch_warnings()
    ):  # Python 3.12 warns of forking a threaded process: the child runs no thread
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        os.close(write_end)
        return read_end, pid
    # The child: from here on, nothing returns to the caller.
    try:
        os.close(read_end)
        trial = _try(shell, code, call)
        try:
            data = pickle.dumps(trial, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a value that would not pickle after all: its result is lost, not the run
            data = pickle.dumps(Trial(error=f"its result could not be sent back ({type(exc).__name__})"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


def _one_thread_each() -> None:
    """OpenMP, BLAS and MKL pools run one thread in a trial. A fork has only the thread that forked: an
    OpenMP pool the kernel started before (scikit-learn's, llama.cpp's) waits in the child for threads that
    are not there, and the trial hangs until it is killed (measured: KMeans after a fork, 30 s and more;
    with one thread, 0.1 s). The trials run side by side on the cores anyway."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency; without it the trials may wait for their timeout
        return
    try:
        threadpool_limits(1)
    except Exception:  # noqa: BLE001 - a library it cannot set keeps its threads; the trial goes on
        pass


def _try(shell: Any, code: str, call: frozenset[str] = frozenset()) -> Trial:
    """In the child: run the code in the (copied) namespace and observe what it computed."""
    gc.disable()  # a collection could finalise the kernel's sockets in a process that must not touch them
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the kernel's interrupt is for the parent
    _one_thread_each()
    namespace = shell.user_ns
    printed = io.StringIO()
    sys.stdout, sys.stderr = printed, io.StringIO()  # warnings differ between candidates: not compared
    sys.stdin = io.StringIO("")
    builtins.input = _no_input
    displayed: list[str] = []
    _capture_displays(shell, displayed)
    figures_before = _figures()
    before = snapshot(namespace)
    started = time.perf_counter()
    trial = Trial()
    try:
        python = shell.transform_cell(code)
        in_place = list(touches(python, namespace).in_place)
        # What the code may change in place, as it was: whether it did is known only by comparing after.
        objects = {name: namespace[name] for name in in_place if name in namespace}
        digests = {name: _digest(value) for name, value in objects.items()}
        inputs = dict(namespace)  # the notebook's values, for calling a function the code defines
        last = _execute(python, namespace)
        trial.ok = True
    except BaseException as exc:  # noqa: BLE001 - whatever the candidate raised is its result
        trial.error = f"{type(exc).__name__}: {exc}"[:500]
        return trial
    finally:
        trial.seconds = time.perf_counter() - started
    text = printed.getvalue() + "".join(displayed)
    trial.printed = text[:PRINTED_LIMIT]
    if last is not None and not _drawn(last):
        trial.values["last"] = comparable(last)
    plotted = {num: data for num, data in _figures().items() if figures_before.get(num) != data}
    if plotted:
        trial.values["figures"] = sorted(plotted.values(), key=repr)
    left = changes(before, namespace)  # describes each value: computed once
    for item in left:
        (trial.changed_names if item.changed else trial.new_names).append(item.name)
    for name in before:
        if name not in namespace:  # deleted: a result too (a user's variable gone)
            trial.changed_names.append(name)
            trial.values[f"name:{name}"] = DELETED
    for name in in_place:
        if name in namespace and name not in trial.changed_names and name not in trial.new_names:
            if namespace[name] is objects.get(name) and digests[name] is not None:
                if _digest(namespace[name]) == digests[name]:
                    continue  # it could have changed it in place, and did not
            trial.changed_names.append(name)
    for name in trial.new_names + trial.changed_names:
        if name not in namespace:
            continue
        value = comparable(namespace[name])
        if value is not None:
            trial.values[f"name:{name}"] = value
    deleted = [f"{name} (deleted)" for name in before if name not in namespace]
    trial.described = "; ".join([listed(left), *deleted] if left else deleted)
    if last is not None:
        shown = describe_value(last).split("\n", 1)[0][:120]
        trial.described = (
            f"{trial.described}; last value: {shown}" if trial.described else f"last value: {shown}"
        )
    _call_named(trial, call, namespace, inputs)
    return trial


def _call_named(trial: Trial, call: frozenset[str], namespace: dict, inputs: dict) -> None:
    """Call each new function the request names (last: what the call does to its arguments is not the
    code's doing; a value already kept is given as a copy, so the call cannot change it)."""
    defined = [
        name
        for name in sorted(call)
        if isinstance(namespace.get(name), types.FunctionType) and namespace[name] is not inputs.get(name)
    ]
    if not defined:
        return
    kept = {id(value) for value in trial.values.values()}
    given = {name: _copied(value) if id(value) in kept else value for name, value in inputs.items()}
    for name in defined:
        function = namespace[name]
        try:
            returned = _call(function, given)
        except BaseException as exc:  # noqa: BLE001 - raising on the user's data is its result
            trial.ok, trial.error = False, f"{name}() raised {type(exc).__name__}: {exc}"[:500]
            return
        if returned is not _CANNOT_CALL:
            trial.values[f"call:{name}"] = comparable(returned)
            shown = describe_value(returned).split("\n", 1)[0][:120]
            trial.described = "; ".join(filter(None, [trial.described, f"{name}(…) returned {shown}"]))


def _drawn(value: Any) -> bool:
    """What a plotting call returns (`[<Line2D>]`, `Text(...)`, an Axes): a by-product of drawing, whose
    figure is the result (compared as such), not a value."""
    items = value if isinstance(value, (list, tuple)) and value else [value]
    return all(type(item).__module__.split(".")[0] == "matplotlib" for item in items)


def _copied(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - a value that cannot be copied is given as it is
        return value


_CANNOT_CALL = object()


def _call(function: types.FunctionType, inputs: dict[str, Any]) -> Any:
    """`function` called with the notebook's value of each parameter of the same name, else its default;
    _CANNOT_CALL when a parameter has neither (then it says nothing about the result)."""
    arguments, keywords = [], {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in inputs:
            value = inputs[parameter.name]
        elif parameter.default is not parameter.empty:
            continue
        else:
            return _CANNOT_CALL
        if parameter.kind is parameter.POSITIONAL_ONLY:
            arguments.append(value)
        else:
            keywords[parameter.name] = value
    return function(*arguments, **keywords)


def _digest(value: Any) -> str | None:
    """A digest of the value's pickle (equal digests: the same contents); None where that cannot be
    taken (it does not pickle, or is larger than a trial should copy)."""
    try:
        if size_of(value) > LARGEST_PICKLE:
            return None
        return hashlib.sha256(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
    except Exception:  # noqa: BLE001 - unknown, so counted as changed
        return None


def _no_input(*_args: Any) -> str:
    raise EOFError("a trial run cannot ask for input")


def _execute(python: str, namespace: dict[str, Any]) -> Any:
    """Run the code as a cell would: statements, then the last expression's value (None if it ends with a
    statement)."""
    tree = ast.parse(python)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<candidate>", "exec"), namespace)  # noqa: S102 - the candidate, in a throwaway copy
    if last is None:
        return None
    return eval(compile(last, "<candidate>", "eval"), namespace)  # noqa: S307


def _capture_displays(shell: Any, displayed: list[str]) -> None:
    """display() and plt.show() in the child: their text kept, nothing sent to the notebook."""
    publisher = getattr(shell, "display_pub", None)
    if publisher is not None:
        publisher.publish = lambda data, *args, **kwargs: displayed.append(
            str(data.get("text/plain", "")) + "\n"
        )
        publisher.clear_output = lambda *args, **kwargs: None
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.show = lambda *args, **kwargs: None


def _figures() -> dict[int, list]:
    """Each open matplotlib figure as a reader sees it: per axes, the points of its lines, bars and
    scatters (rounded) with the lines' markers and styles, and how the axes read (see _axes_reading).
    Titles and axis labels are left out: free text that candidates add unasked, and word differently."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return {}
    found = {}
    for number in pyplot.get_fignums():
        figure = pyplot.figure(number)
        try:
            figure.canvas.draw()  # the tick labels' texts exist once drawn
        except Exception:  # noqa: BLE001 - a figure that cannot be drawn is compared by what it holds
            pass
        axes_data = []
        for axes in figure.get_axes():
            if getattr(axes, "_colorbar", None) is not None:
                continue  # a colorbar restates the data's scale; candidates add one unasked
            artists = []
            for line in axes.get_lines():
                xs, ys = _rounded(line.get_xdata()), _rounded(line.get_ydata())
                artists.append(("line", xs, ys, str(line.get_marker()), str(line.get_linestyle())))
            for patch in axes.patches:
                if hasattr(patch, "get_height") and hasattr(patch, "get_x"):
                    artists.append(("bar", _rounded([patch.get_x(), patch.get_width(), patch.get_height()])))
            for collection in axes.collections:
                offsets = getattr(collection, "get_offsets", None)
                if offsets is not None:
                    artists.append(("points", _rounded(offsets())))
            axes_data.append([sorted(artists, key=repr), _axes_reading(axes)])
        found[number] = axes_data
    return found


def _axes_reading(axes: Any) -> list:
    """How a reader reads the axes: whether they are shown; per axis its scale, the sides that carry tick
    labels, the labels' texts (their format: `1e7` or `10000000`) and rotation; the legend's entries."""
    reading: list = [bool(axes.axison)]
    for axis in (axes.xaxis, axes.yaxis):
        ticks = [tick for tick in axis.get_major_ticks() if tick.get_visible()]
        labels = [label for label in axis.get_ticklabels() if label.get_visible() and label.get_text()]
        offset = axis.get_offset_text()
        reading.append(
            (
                axis.get_scale(),
                any(tick.label1.get_visible() for tick in ticks),
                any(tick.label2.get_visible() for tick in ticks),
                [label.get_text() for label in labels],
                sorted({round(label.get_rotation()) % 360 for label in labels}),
                offset.get_text() if offset.get_visible() else "",
            )
        )
    legend = axes.get_legend()
    reading.append([text.get_text() for text in legend.get_texts()] if legend is not None else None)
    return reading


def _rounded(values: Any) -> list:
    """Numbers to 6 significant digits (what a plot can show), other values (categories) as text."""
    out = []
    try:
        items = list(values)
    except TypeError:
        items = [values]
    for item in items:
        if hasattr(item, "__len__") and not isinstance(item, str):
            out.append(_rounded(item))
            continue
        try:
            out.append(float(f"{float(item):.6g}"))
        except (TypeError, ValueError):
            out.append(str(item))
    return out
