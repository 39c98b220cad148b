"""A compact summary of the user's namespace, so "plot revenue by month from df" means their df.

One line a variable, most useful first (data frames and arrays, then other data, then functions and
classes), cut to a character budget. Nothing here imports pandas or numpy: objects are described by
the attributes they carry, so summarising never loads a library the user has not loaded.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

__all__ = ["namespace_summary"]

# Names IPython and oci-magic put in every namespace; they say nothing about the user's work.
_IGNORED = {"In", "Out", "exit", "quit", "get_ipython", "open"}


def _shape(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return "×".join(str(n) for n in shape)
    return ""


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(value: Any) -> tuple[int, str]:
    """(priority, description): lower priorities are listed first."""
    kind = type(value).__name__
    columns = getattr(value, "columns", None)
    dtypes = getattr(value, "dtypes", None)
    if columns is not None and dtypes is not None and hasattr(value, "iloc"):  # a DataFrame
        try:
            cols = ", ".join(f"{name} {dtype}" for name, dtype in dtypes.items())
        except Exception:
            cols = ", ".join(map(str, columns))
        return 0, f"{kind} {_shape(value)} columns: {_short(cols, 400)}"
    if hasattr(value, "dtype") and _shape(value):  # arrays, Series, tensors
        name = getattr(value, "name", None)
        named = f" name={name!r}" if isinstance(name, str) else ""
        return 1, f"{kind} {_shape(value)} dtype={value.dtype}{named}"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        if isinstance(value, dict):
            keys = ", ".join(repr(k) for k in list(value)[:8])
            return 2, f"dict of {len(value)} keys: {_short(keys)}"
        return 2, f"{kind} of {len(value)}: {_short(repr(value))}"
    if isinstance(value, (str, bytes, int, float, complex, bool)):
        return 2, f"{kind} = {_short(repr(value))}"
    if inspect.isclass(value):
        return 4, f"class{_signature(value)}"
    if callable(value):
        return 3, f"function{_signature(value)}"
    return 3, kind


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
