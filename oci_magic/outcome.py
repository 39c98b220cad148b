"""Did a round that raised nothing do what was asked? Only what can be known for sure is checked:

- the names the request asks for (`revenue`, "into a DataFrame called sales", "a column value") exist after
  the run, as variables, columns of a DataFrame or keys of a dict;
- the code did not end in a guarded non-answer: a check or try/except that printed "... does not exist"
  instead of computing anything asked for;
- no DataFrame the code made still holds a separator in its column names (a file read the wrong way);
- an asked-for result is not None (an inplace method's return value) or NaN, and a column the code added is
  not NaN in every row (a conversion that matched nothing);
- pandas did not say that an inplace change never reached the DataFrame (ChainedAssignmentError).

And before code runs: it does not replace the user's data (a DataFrame, a list, a dict they have) with values
written into the code, the way a model that cannot see the data invents some (`invented_data`).

Each miss is a sentence for the model's "Execution result:" turn and for the views. Nothing here imports
pandas: values are looked at through the attributes they carry.
"""

from __future__ import annotations

import ast
import builtins
import math
import re
import types
from typing import Any

from .context import describe_value
from .diagnose import misread_separator
from .executors.changes import fingerprint
from .expectations import unmet_expectations

__all__ = ["asked_names", "asked_columns", "shortfalls", "invented_data"]

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_BACKTICKED = re.compile(r"`([A-Za-z_]\w*)`")
# snake_case words of the prose (not file names such as sales_2024.csv, not attributes such as pd.to_numeric,
# not keyword arguments such as skip_blank_lines=True).
_SNAKE = re.compile(r"(?<![\w./\\-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w/\\=-]|\.\w)")
_CALLED = re.compile(r"\b(?:called|named)\s+[`'\"]?([A-Za-z_]\w*)")
_FUNCTION = re.compile(r"\b(?:function|method)\s+`?([A-Za-z_]\w*)\s*\(")
_CALL = re.compile(r"(?<![\w.])([a-z_]\w*)\((?=[\w\s,=*'\"]*\))")  # "write slugify(title)"
_KINDS = (
    r"(?:DataFrame|dataframe|data frame|frame|Series|series|list|dict|dictionary|variable|array|set|table|"
    r"tuple|string|number|value|function)"
)
# "into X" when X ends the clause: "Read trips.csv into trips.", "into a DataFrame readings and ...".
_INTO = re.compile(
    rf"\binto\s+(?:(?:a|an|the|new)\s+)*(?:{_KINDS}\s+)?[`'\"]?([A-Za-z_]\w*)[`'\"]?"
    r"(?=\s*(?:[.,;:!?()]|$)|\s+(?:and|with|then|so|that|which|indexed|sorted|where|for|per|by|from)\b)"
)
# "a DataFrame players from ...": a kind of value, then its name.
_KIND_NAMED = re.compile(
    rf"\b(?:a|an|the)\s+(?:new\s+)?{_KINDS}\s+[`'\"]?([A-Za-z_]\w*)[`'\"]?"
    r"(?=\s*(?:[.,;:!?()]|$)|\s+(?:and|with|then|from|of|that|which|where|for|per|by)\b)"
)
_COLUMN = re.compile(
    r"\b(?:a|an|the)\s+(?:(?:new|numeric|datetime|date|boolean|text|string|integer|float|extra|separate|"
    r"additional|helper)\s+)?column\s+(?:called\s+|named\s+)?[`'\"]?([A-Za-z_]\w*)"
)
# "into first and last columns", "into new columns lat, lon and alt": each listed name, as a column.
_LIST = r"([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*,?\s+and\s+[A-Za-z_]\w*)"
_COLUMN_LISTS = (
    re.compile(rf"\binto\s+(?:(?:the|two|three|new|separate)\s+)*{_LIST}\s+columns\b"),
    re.compile(
        rf"\b(?:into|new)\s+(?:(?:the|two|three|new|separate)\s+)*columns\s+(?:called\s+|named\s+)?{_LIST}"
    ),
)
# Words that follow "into", "a column" and the like without naming anything ("into a single '-'" is caught
# by the end-of-clause rule; "first" is not here: "into first and last columns" asks for a column `first`).
_NOT_NAMES = set(
    "a an the of with to for per by and or that which where from in on at as is are be it its each every one "
    "two all this these those equal equals containing holding showing called named new into than then so if "
    "when whose whether not no only also indexed sorted grouped keyed ordered filtered".split()
)

# What code prints when it guarded against the error instead of fixing it.
_MISSING_SAID = re.compile(
    r"\b(?:not found|does not exist|doesn't exist|do not exist|don't exist|is missing|are missing|"
    r"not present|no such|not available|could not find|cannot find|can't find|unable to find)\b",
    re.I,
)


def asked_columns(request: str) -> tuple[str, ...]:
    """The names `request` asks for as columns ("add a column value", "a numeric column price_num"): only a
    DataFrame's column answers them, not a variable of that name."""
    return _names_in(request, (_COLUMN, *_COLUMN_LISTS))


def asked_names(request: str) -> tuple[str, ...]:
    """The names `request` asks the code to leave behind, in order: backticked names, snake_case words,
    names after "called"/"named", "into X" at the end of a clause, "a column X", "function f(".
    Code blocks in the request are skipped (a function to complete names many things it does not ask for)."""
    return _names_in(
        request, (_BACKTICKED, _SNAKE, _CALLED, _FUNCTION, _CALL, _INTO, _KIND_NAMED, _COLUMN, *_COLUMN_LISTS)
    )


def _names_in(request: str, patterns: tuple[re.Pattern[str], ...]) -> tuple[str, ...]:
    """The names `patterns` find in the request's prose (its code blocks left out), in order, once each."""
    prose = _CODE_BLOCK.sub(" ", request)
    found: dict[str, None] = {}
    for pattern in patterns:
        named_on_purpose = pattern in (_BACKTICKED, _CALLED)  # whatever its case
        for match in pattern.finditer(prose):
            for name in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", match.group(1)):  # a list: each name
                if named_on_purpose or (name.lower() not in _NOT_NAMES and _looks_like_a_name(name)):
                    found[name] = None
    return tuple(found)


def _looks_like_a_name(word: str) -> bool:
    """'sales', 'Xn', 'X_train', 'df2' are names; 'Excel' and 'CSV' ("into Excel") are not."""
    return not word[0].isupper() or len(word) <= 2 or not word.isalpha()


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "iloc")


def _known(name: str, namespace: dict[str, Any], *, column: bool = False) -> bool:
    """A variable, a builtin, a module's attribute (a pandas function the request mentions), a DataFrame's
    column or a dict's key; with `column`, only a DataFrame's column."""
    if column:
        return any(_is_frame(value) and _has_column(value, name) for value in list(namespace.values()))
    if name in namespace or hasattr(builtins, name):
        return True
    for value in list(namespace.values()):
        try:
            if isinstance(value, types.ModuleType):
                if hasattr(value, name):
                    return True
            elif _is_frame(value):
                if name in value.columns:
                    return True
            elif isinstance(value, dict) and name in value:
                return True
        except Exception:  # an object whose attributes raise says nothing either way
            continue
    return False


def _has_column(frame: Any, name: str) -> bool:
    try:
        return name in frame.columns
    except Exception:
        return False


def _all_missing(value: Any) -> bool:
    try:
        isna = value.isna()
        return bool(len(value)) and bool(isna.all().all() if _is_frame(value) else isna.all())
    except Exception:
        return False


def _empty_result(name: str, value: Any) -> str | None:
    if value is None:
        return (
            f"`{name}` is None (an inplace method returns None: keep the object, not what the call returned)"
        )
    if isinstance(value, float) and math.isnan(value):
        return f"`{name}` is nan: the values it was computed from are missing or were not numbers"
    if hasattr(value, "isna") and hasattr(value, "iloc") and _all_missing(value):
        return f"every value of `{name}` is missing (NaN)"
    return None


# Calls that test for something before using it: hasattr(df, 'x'), os.path.exists(path), d.get('k').
_GUARD_CALLS = ("hasattr", "exists", "isfile", "isdir", "get")


def _parsed(code: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError:  # code that ran parses; an empty module says nothing either way
        return ast.Module(body=[], type_ignores=[])


def _guards(tree: ast.Module) -> bool:
    """Whether the code checks for something before using it (`if 'x' in df.columns`, hasattr, exists) or
    catches errors: the shape of a guarded non-answer."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and node.handlers:
            return True
        if isinstance(node, (ast.If, ast.IfExp)):
            for part in ast.walk(node.test):
                if isinstance(part, ast.Compare) and any(
                    isinstance(op, (ast.In, ast.NotIn)) for op in part.ops
                ):
                    return True
                if isinstance(part, ast.Call) and _called_name(part) in _GUARD_CALLS:
                    return True
    return False


def _called_name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _sources(tree: ast.Module, frame: str, column: str) -> list[str]:
    """The columns of `frame` the code computed `frame[column]` from (`frame['price']` in its assignment)."""
    found: dict[str, None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or not any(_subscript(t, frame) == column for t in node.targets):
            continue
        for part in ast.walk(node.value):
            if (source := _subscript(part, frame)) is not None and source != column:
                found[source] = None
    return list(found)


def _not_numeric(values: list[Any]) -> str:
    """For text that looks like numbers: the characters in it that no number has ('$', ',', '%'), which a
    conversion must remove first; "" when there are none or the values are not such text."""
    texts = [value for value in values if isinstance(value, str)]
    if not texts or not any(character.isdigit() for text in texts for character in text):
        return ""
    strange = dict.fromkeys(c for text in texts for c in text if not (c.isdigit() or c in "+-.eE "))
    if not strange or len(strange) > 4:  # words, not decorated numbers
        return ""
    shown = ", ".join(repr(character) for character in strange)
    return f"; they hold characters no number has ({shown}): remove them before converting"


def _subscript(node: ast.AST, frame: str) -> str | None:
    """'price' for the expression frame['price'], else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == frame:
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return node.slice.value
    return None


def _new_empty_columns(before: dict[str, tuple], namespace: dict[str, Any], tree: ast.Module) -> list[str]:
    """Columns added to a DataFrame that was there before the run and are missing in every row, with the
    first values of the columns they were computed from: what the conversion failed on."""
    found = []
    for name, old in before.items():
        value = namespace.get(name)
        if value is None or not _is_frame(value) or not old[3]:
            continue
        try:
            for column in value.columns:
                if str(column) in old[3] or not _all_missing(value[column]):
                    continue
                text = f"`{name}[{str(column)!r}]` is missing (NaN) in every row"
                sources = [source for source in _sources(tree, name, str(column)) if source in value.columns]
                if sources:
                    first = ", ".join(repr(item) for item in value[sources[0]].head(3).tolist())
                    source = f"`{name}[{sources[0]!r}]`"
                    text += f": nothing was converted from {source}, whose values look like {first}"
                    text += _not_numeric(value[sources[0]].head(20).tolist())
                found.append(text)
        except Exception:
            continue
    return found


def shortfalls(
    asked: tuple[str, ...],
    namespace: dict[str, Any],
    before: dict[str, tuple],
    *,
    code: str,
    output: str,
    columns: tuple[str, ...] = (),
    request: str = "",
) -> list[str]:
    """What the run left undone, one sentence each ([] when nothing is known to be missing).

    `before` is `executors.changes.snapshot` of the namespace taken before the code ran; `columns` are the
    asked names that must be columns (`asked_columns`); the `request`'s words about the results (kinds,
    indexes, examples: expectations.py) are checked against what the run left."""
    found = []
    if "ChainedAssignmentError" in output:
        found.append(
            "pandas warned (ChainedAssignmentError) that an inplace method on a column never changes the "
            "DataFrame: assign the result back instead, e.g. df[col] = df[col].fillna(...)"
        )
    missing = [name for name in asked if not _known(name, namespace, column=name in columns)]
    tree = _parsed(code)
    made = [name for name in asked if name in namespace and _changed(name, before, namespace)]
    if _MISSING_SAID.search(output) and _guards(tree) and not made:
        said = next(line.strip() for line in output.splitlines() if _MISSING_SAID.search(line))
        found.append(
            f'the code printed "{said[:120]}" instead of computing the result: find why (the real names '
            "and values are shown above) and fix that; do not guard against it"
        )
    for name in missing:
        if name in columns:
            found.append(f"no DataFrame has a column `{name}`; the request asks for that column")
        else:
            found.append(
                f"`{name}` is not defined (not as a variable nor as a column); the request asks for it"
            )
    bound = _bound_names(tree)
    answered = {
        name for name in asked if name in namespace and (name in bound or _changed(name, before, namespace))
    }
    for name in asked:
        if name in answered and (problem := _empty_result(name, namespace[name])) is not None:
            found.append(problem)
    if request:
        found += unmet_expectations(_CODE_BLOCK.sub(" ", request), asked, namespace, tree, answered)
    found += _new_empty_columns(before, namespace, tree)
    for name, value in list(namespace.items()):
        if _is_frame(value) and _changed(name, before, namespace) and (separator := misread_separator(value)):
            found.append(
                f"the column names of `{name}` contain {separator}: its file is separated by {separator} and "
                "was not read that way"
            )
    return found


def _bound_names(tree: ast.Module) -> set[str]:
    """The names the code assigns or defines (a rebinding to None keeps the same object: identity cannot
    tell)."""
    return {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    } | {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def _changed(name: str, before: dict[str, tuple], namespace: dict[str, Any]) -> bool:
    """Whether the run bound `name` anew or changed it (by identity or shape)."""
    old = before.get(name)
    return old is None or name not in namespace or old != fingerprint(namespace[name])


# A request that asks for made-up data, or gives the values itself, may have code that writes them.
_ASKS_FOR_MADE_UP = re.compile(
    r"\b(?:sample|example|fake|dummy|synthetic|toy|mock|random|made[- ]up)\b", re.I
)
_CONSTRUCTORS = {"DataFrame", "Series", "array", "from_dict", "from_records", "dict", "list"}


def _literal(node: ast.AST, literal_names: set[str]) -> bool:
    """Whether `node` builds a value from constants written in the code: [1, 2], {'a': [1]},
    pd.DataFrame({'a': [1, 2]}), or a name the code bound to one."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand, literal_names)
    if isinstance(node, ast.Name):
        return node.id in literal_names
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return bool(node.elts) and all(_literal(item, literal_names) for item in node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.keys) and all(
            key is not None and _literal(key, literal_names) and _literal(value, literal_names)
            for key, value in zip(node.keys, node.values, strict=True)
        )
    if isinstance(node, ast.Call) and _called_name(node) in _CONSTRUCTORS and (node.args or node.keywords):
        values = [*node.args, *(keyword.value for keyword in node.keywords if keyword.arg in (None, "data"))]
        return bool(values) and all(_literal(value, literal_names) for value in values)
    return False


def _holds_data(value: Any) -> bool:
    try:
        if _is_frame(value) or (hasattr(value, "dtype") and hasattr(value, "shape")):
            return bool(getattr(value, "size", len(value)))
        return isinstance(value, (list, dict, tuple, set)) and len(value) > 1
    except Exception:
        return False


def _same_values(node: ast.AST, value: Any) -> bool:
    """Whether the literal `node` builds holds what `value` holds (a list or dict written out again, or a
    DataFrame built from the same columns)."""
    try:
        if isinstance(node, ast.Call):
            if not node.args:
                return False
            built = type(value)(ast.literal_eval(node.args[0]))
            return bool(built.equals(value)) if hasattr(built, "equals") else bool(built == value)
        return bool(ast.literal_eval(node) == value)
    except Exception:  # not a plain literal (a name bound in the code), or values that do not compare
        return False


def invented_data(code: str, namespace: dict[str, Any], request: str) -> list[str]:
    """The user's data that `code` would replace with values written into it, one sentence each. Code that
    only makes new names, or a request that asks for sample data, is left alone."""
    if _ASKS_FOR_MADE_UP.search(request) or "```" in request:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    literal_names: set[str] = set()
    found = []
    for statement in tree.body:  # top-level statements, in order: what runs for sure
        if not isinstance(statement, ast.Assign) or not _literal(statement.value, literal_names):
            continue
        for target in statement.targets:
            if not isinstance(target, ast.Name):
                continue
            literal_names.add(target.id)
            value = namespace.get(target.id)
            if value is None or not _holds_data(value) or _same_values(statement.value, value):
                continue  # new data, or the user's own values copied from the summary: nothing is lost
            if target.id not in [n for n, *_ in found]:
                found.append((target.id, describe_value(value).split("\n", 1)[0][:80]))
    return [
        f"it would replace your `{name}` ({description}) with values written into the code; use the `{name}` "
        "that is there"
        for name, description in found
    ]
