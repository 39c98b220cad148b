"""A compact summary of the user's namespace, so "plot revenue by month from df" means their df.

One line a variable, most useful first (data frames and arrays, then other data, then functions and
classes), cut to a character budget. Nothing here imports pandas or numpy: objects are described by
the attributes they carry, so summarising never loads a library the user has not loaded.
"""

from __future__ import annotations

import inspect
import re
import reprlib
import types
from typing import Any

__all__ = ["namespace_summary", "describe_value"]

# Names IPython and oci-magic put in every namespace; they say nothing about the user's work.
_IGNORED = {"In", "Out", "exit", "quit", "get_ipython", "open"}
# Short reprs of containers, however large: a few items per level, never the repr of the whole thing.
_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple, _REPR.maxset = 3, 8, 8, 8, 8
_REPR.maxstring, _REPR.maxother = 80, 60


def _shape(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return "×".join(str(n) for n in shape)
    return ""


# A memory address says nothing to the model and differs in every process: the same notebook would read
# differently to it each time (`<function <lambda> at 0x7f…>`). The candidates' trials leave it out too.
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(ADDRESS.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(value: Any) -> tuple[int, str]:
    """(priority, description): lower priorities are listed first."""
    kind = type(value).__name__
    columns = getattr(value, "columns", None)
    dtypes = getattr(value, "dtypes", None)
    if columns is not None and dtypes is not None and hasattr(value, "iloc"):  # a DataFrame
        try:
            cols = ", ".join(f"{name!r} {dtype}" for name, dtype in dtypes.items())
        except Exception:
            cols = ", ".join(map(repr, columns))
        return 0, f"{kind} {_shape(value)} columns: {_short(cols, 400)}{_head_rows(value)}"
    if hasattr(value, "dtype") and _shape(value):  # arrays, Series, tensors
        name = getattr(value, "name", None)
        named = f" name={name!r}" if isinstance(name, str) else ""
        return 1, f"{kind} {_shape(value)} dtype={value.dtype}{named}{_index(value)}{_first_values(value)}"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        # The values, not only the keys: a model shown only keys invents the values.
        return 2, f"{kind} of {len(value)}: {_short(_REPR.repr(value), 200)}"
    if isinstance(value, (str, bytes, int, float, complex, bool)):
        return 2, f"{kind} = {_short(_REPR.repr(value), 120)}"
    if inspect.isclass(value):
        return 4, f"class{_signature(value)}"
    if callable(value):
        return 3, f"function{_signature(value)}"
    return 3, kind


def _head_rows(frame: Any, rows: int = 2) -> str:
    """The first rows of a DataFrame as the user would see them: the values say what the columns hold."""
    try:
        if not len(frame):
            return ""
        text = frame.head(rows).to_string(max_cols=12, max_colwidth=30)
    except Exception:
        return ""
    lines = [line if len(line) <= 160 else line[:159] + "…" for line in text.splitlines()]
    return "\n    " + "\n    ".join(lines)


def _index(value: Any) -> str:
    """A Series' index when it is not 0, 1, 2...: dates or labels are data the code must use, not a column
    it can look up."""
    index = getattr(value, "index", None)
    if index is None or not hasattr(value, "iloc") or type(index).__name__ == "RangeIndex" or not len(index):
        return ""
    try:
        name = f" {index.name!r}" if index.name is not None else ""
        first, last = (str(index[at]).removesuffix(" 00:00:00") for at in (0, -1))  # dates without a time
        span = f"{first} … {last}" if len(index) > 1 else first
        return f", index{name}: {type(index).__name__} {_short(span, 80)}"
    except Exception:
        return ""


def _first_values(value: Any, count: int = 5) -> str:
    try:
        head = value.iloc[:count] if hasattr(value, "iloc") else value.ravel()[:count]
        items = [repr(item) if isinstance(item, str) else str(item) for item in head.tolist()]
    except Exception:
        return ""
    return f", first values: {_short(', '.join(items), 100)}"


def describe_value(value: Any) -> str:
    """One value as the summary describes it (type, shape, columns, first rows or values)."""
    try:
        return _describe(value)[1]
    except Exception:  # an object whose attributes raise
        return type(value).__name__


def _signature(value: Any) -> str:
    try:
        return str(inspect.signature(value))
    except (TypeError, ValueError):
        return "(...)"


def namespace_summary(user_ns: dict[str, Any], *, limit: int = 1500) -> str:
    """Describe the user's variables within `limit` characters ("" when there is nothing to tell)."""
    entries = []
    for name, value in list(user_ns.items()):
        if name.startswith("_") or name in _IGNORED or isinstance(value, types.ModuleType):
            continue
        if getattr(value, "__module__", "") == "builtins" and callable(value):
            continue
        try:
            priority, text = _describe(value)
        except Exception:  # an object whose attributes raise must not break the request
            priority, text = 5, type(value).__name__
        entries.append((priority, f"- {name}: {text}"))
    entries.sort(key=lambda entry: entry[0])
    lines, used = [], 0
    for _, line in entries:
        if used + len(line) + 1 > limit:
            lines.append(f"- ... and {len(entries) - len(lines)} more")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)
