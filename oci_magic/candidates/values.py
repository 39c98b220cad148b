"""What a candidate computed, in a form that survives the trip out of its trial process, and when two such
results are the same.

A trial (trial.py) ends by turning each value it observed into plain data with `comparable`: numbers, text,
lists and dicts of them, numpy arrays and pandas objects as themselves (they pickle), anything else as its
repr without memory addresses. Functions, classes and modules say nothing about a result and are left out.
`same` then compares two such values the way a reader of the notebook would: floats within a tolerance,
pandas objects up to dtype, and up to row order where the request does not ask for an order.
"""

from __future__ import annotations

import math
import pickle
import re
import types
from typing import Any

from oci_magic.notebook.summary import ADDRESS

__all__ = ["comparable", "same", "same_text", "REL_TOL"]

REL_TOL, ABS_TOL = 1e-6, 1e-9
# A value whose pickle is larger than this is compared by a digest of it: equal bytes, or different.
LARGEST_PICKLE = 64 * 2**20
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_DEPTH = 4  # nested containers deeper than this are compared by repr


class Opaque(tuple):
    """A value known only by a text (its repr, or a digest of its pickle): equal when the texts are."""


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "pandas"


def _is_numpy(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "numpy"


def comparable(value: Any, depth: int = 0) -> Any:
    """`value` as data that pickles and compares; None for what is no result (a function, a module)."""
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)):
        return None
    if isinstance(value, types.ModuleType):
        return None
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return value
    if _is_numpy(value) and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        try:
            return value.item()  # a numpy scalar: its Python number
        except Exception:
            pass
    if _is_pandas(value) or _is_numpy(value):
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return Opaque(("repr", _repr(value)))
        if len(data) > LARGEST_PICKLE:
            import hashlib

            return Opaque(("digest", hashlib.sha256(data).hexdigest()))
        return value
    if depth < _DEPTH:
        if isinstance(value, (list, tuple)):
            return [comparable(item, depth + 1) for item in value]
        if isinstance(value, dict):
            return {_key(key): comparable(item, depth + 1) for key, item in value.items()}
        if isinstance(value, (set, frozenset)):
            return frozenset(_key(item) for item in value)
    return Opaque(("repr", _repr(value)))


def _key(value: Any) -> Any:
    """A dict key or set member as something hashable that compares by value."""
    try:
        hash(value)
        return value.item() if _is_numpy(value) and hasattr(value, "item") else value
    except Exception:
        return _repr(value)


def _repr(value: Any, limit: int = 4000) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ is the value's business
        text = f"<{type(value).__name__}: repr failed with {type(exc).__name__}>"
    return ADDRESS.sub("", text)[:limit]


# -- comparing ----------------------------------------------------------------------------------------------
def same(a: Any, b: Any, *, ordered: bool = True) -> bool:
    """Whether two comparable values are the same result. `ordered=False`: a table's rows may come in any
    order (the request asks for none)."""
    try:
        return _same(a, b, ordered)
    except Exception:  # a comparison that cannot be made says nothing in favour of agreement
        return False


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, bool)


def _close(a: float, b: float) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _same(a: Any, b: Any, ordered: bool) -> bool:
    if _number(a) and _number(b):
        return _close(float(a), float(b))
    if isinstance(a, complex) or isinstance(b, complex):
        return (
            isinstance(a, complex)
            and isinstance(b, complex)
            and _close(a.real, b.real)
            and _close(a.imag, b.imag)
        )
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    if _is_pandas(a) or _is_pandas(b):
        return _same_tables(a, b, ordered)
    if _is_numpy(a) or _is_numpy(b):
        return _same_arrays(a, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, ordered) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key], ordered) for key in a)
    return type(a) is type(b) and a == b


def _same_arrays(a: Any, b: Any) -> bool:
    import numpy as np

    if _is_pandas(a) or _is_pandas(b):
        return False
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return False
    if x.dtype.kind in "biuf" and y.dtype.kind in "biuf":
        return bool(np.allclose(x, y, rtol=REL_TOL, atol=ABS_TOL, equal_nan=True))
    if x.dtype.kind == "c" or y.dtype.kind == "c":
        return bool(np.allclose(x, y, rtol=REL_TOL, atol=ABS_TOL, equal_nan=True))
    return bool(np.array_equal(x, y))


def _as_frame(value: Any) -> Any:
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame(name=0)
    if isinstance(value, pd.Index):
        return value.to_frame(index=False, name=0)
    return None


def _same_tables(a: Any, b: Any, ordered: bool) -> bool:
    """DataFrames, Series and Indexes: the same values in the same cells (dtype aside, floats within the
    tolerance); a Series' or column's name is a label, not the result, and is not compared."""
    x, y = _as_frame(a), _as_frame(b)
    if x is None or y is None or type(a) is not type(b) or x.shape != y.shape:
        return False
    if len(x.columns) > 1 or len(y.columns) > 1:
        if sorted(map(str, x.columns)) != sorted(map(str, y.columns)):
            return False
        y = y[[y.columns[list(map(str, y.columns)).index(str(column))] for column in x.columns]]
    if _frames_equal(x, y):
        return True
    return not ordered and _frames_equal(_rows_sorted(x), _rows_sorted(y))


def _frames_equal(x: Any, y: Any) -> bool:
    import pandas as pd

    y = y.set_axis(x.columns, axis=1)
    try:
        pd.testing.assert_frame_equal(
            x,
            y,
            check_dtype=False,
            check_index_type=False,
            check_column_type=False,
            check_names=False,
            check_exact=False,
            rtol=REL_TOL,
            atol=ABS_TOL,
            check_freq=False,
            check_flags=False,
        )
        return True
    except (AssertionError, TypeError, ValueError):
        return False


def _rows_sorted(frame: Any) -> Any:
    """The rows in one canonical order, the index kept as columns (a group's key is part of its row)."""
    flat = frame.reset_index()
    flat.columns = [str(column) for column in flat.columns]
    order = flat.astype(str).sort_values(list(flat.columns)).index
    return flat.loc[order].reset_index(drop=True)


def same_text(a: str, b: str) -> bool:
    """Printed text: the same numbers in the same order (each within the tolerance) where there are any,
    else the same words. "mean: 3.5" and "The mean is 3.50" agree; they report one value."""
    numbers_a, numbers_b = _NUMBER.findall(a), _NUMBER.findall(b)
    if numbers_a or numbers_b:
        return len(numbers_a) == len(numbers_b) and all(
            _close(float(x), float(y)) for x, y in zip(numbers_a, numbers_b, strict=True)
        )
    return a.split() == b.split()
