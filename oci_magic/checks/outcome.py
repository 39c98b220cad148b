"""Did a round that raised nothing do what was asked? A round is stopped only for what is certain; what a
check cannot know for certain is a note for the user, never fed back to the model as a failure.

Stops (`Findings.stops`, fed back; the round is "incomplete"):
- a name the request certainly asks for (reading.py: "called X", "into X", "Put the answer in `result`")
  exists after the run, as a variable, a DataFrame's column or a dict's key; when the code instead printed
  "... does not exist" behind a check, that is said;
- such a result is not None (an inplace method's return value);
- a column the code computed from another column is not missing in every row (a conversion that matched
  nothing, with the values it failed on);
- no DataFrame the code made still holds a separator in its column names (a file read the wrong way);
- pandas did not say that an inplace change never reached the DataFrame (ChainedAssignmentError);
- what the request says of a result's kind, index, groups, or a function's examples (expectations.py).

Notes (`Findings.notes`, shown to the user only): a name the request only mentions that nothing defines, a
result that is NaN, a new column missing everywhere that came from no column, what expectations.py cannot
decide.

And before code runs: the statements that would replace the user's data (a DataFrame, an array, a list, a
dict they have) with values written into the code, the way a model copies the data a question prints
(`replacements`), are left out and the rest runs (`without_replacements`).

Nothing here imports pandas or numpy: values are looked at through the attributes they carry.
"""

from __future__ import annotations

import ast
import builtins
import math
import re
import sys
import types
from dataclasses import dataclass, field
from typing import Any

from oci_magic.checks.expectations import unmet_expectations
from oci_magic.checks.findings import Finding, Kind
from oci_magic.checks.reading import Reading
from oci_magic.notebook.changes import Fingerprint, fingerprint
from oci_magic.notebook.diagnose import misread_separator
from oci_magic.notebook.summary import describe_value

__all__ = [
    "Findings",
    "Replacement",
    "as_it_would_run",
    "judge_round",
    "replacements",
    "without_replacements",
]


@dataclass
class Findings:
    stops: list[Finding] = field(default_factory=list)  # certain: the round did not do what was asked
    notes: list[Finding] = field(default_factory=list)  # for the user to look at: not known for certain


# What code prints when it guarded against the error instead of fixing it.
_MISSING_SAID = re.compile(
    r"\b(?:not found|does not exist|doesn't exist|do not exist|don't exist|is missing|are missing|"
    r"not present|no such|not available|could not find|cannot find|can't find|unable to find)\b",
    re.I,
)


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "iloc")


def _named(value: Any, name: str) -> bool:
    """A pandas object that carries `name` as a name of its own: a Series or Index named so ("a Series
    named total"), or one whose index levels are named so."""
    if not _is_pandas(value):
        return False
    index = getattr(value, "index", None)
    names = [getattr(value, "name", None), *(getattr(index, "names", None) or [])]
    return any(isinstance(found, str) and found == name for found in names)


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.partition(".")[0] == "pandas"


def _known(name: str, namespace: dict[str, Any], *, column: bool = False) -> bool:
    """A variable, a builtin, a module's attribute (a pandas function the request mentions), a DataFrame's
    column, a dict's key or a pandas object's own name; with `column`, only a DataFrame's column."""
    if column:
        return any(_is_frame(value) and _has_column(value, name) for value in list(namespace.values()))
    if name in namespace or hasattr(builtins, name):
        return True
    for value in list(namespace.values()):
        try:
            if isinstance(value, types.ModuleType):
                if hasattr(value, name):
                    return True
            elif not name.startswith("_") and hasattr(type(value), name):  # a method: df.value_counts
                return True
            elif _is_frame(value):
                if name in value.columns:
                    return True
            elif isinstance(value, dict) and name in value:
                return True
            if _named(value, name):
                return True
        except Exception:  # an object whose attributes raise says nothing either way
            continue
    return False


def _library_word(name: str) -> bool:
    """A function or method of pandas or numpy, where they are loaded ("I tried sort_values"): a word of
    the library, not a result the user asks for."""
    owners = []
    if (pandas := sys.modules.get("pandas")) is not None:
        owners += [pandas, getattr(pandas, "DataFrame", None), getattr(pandas, "Series", None)]
    if (numpy := sys.modules.get("numpy")) is not None:
        owners += [numpy, getattr(numpy, "ndarray", None)]
    return any(owner is not None and hasattr(owner, name) for owner in owners)


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


def _none_result(name: str, value: Any) -> Finding | None:
    return Finding(Kind.NONE_RESULT, name) if value is None else None


def _missing_result(name: str, value: Any) -> Finding | None:
    """A result that is NaN: often a failed conversion, sometimes the right answer (no data to average)."""
    if isinstance(value, float) and math.isnan(value):
        return Finding(Kind.NAN_RESULT, name)
    if hasattr(value, "isna") and hasattr(value, "iloc") and _all_missing(value):
        return Finding(Kind.ALL_MISSING, name)
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
    conversion must remove first, shown ("'$', ','"); "" when there are none or the values are not such
    text."""
    texts = [value for value in values if isinstance(value, str)]
    if not texts or not any(character.isdigit() for text in texts for character in text):
        return ""
    strange = dict.fromkeys(c for text in texts for c in text if not (c.isdigit() or c in "+-.eE "))
    if not strange or len(strange) > 4:  # words, not decorated numbers
        return ""
    return ", ".join(repr(character) for character in strange)


def _subscript(node: ast.AST, frame: str) -> str | None:
    """'price' for the expression frame['price'], else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == frame:
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return node.slice.value
    return None


def _new_empty_columns(
    before: dict[str, Fingerprint], namespace: dict[str, Any], tree: ast.Module
) -> tuple[list[Finding], list[Finding]]:
    """Columns added to a DataFrame that was there before the run and are missing in every row: stops when
    computed from a column that holds values (with its first values: what the conversion failed on), notes
    otherwise (an empty column can be what was asked)."""
    found, notes = [], []
    for name, old in before.items():
        value = namespace.get(name)
        if value is None or not _is_frame(value) or not old.columns:
            continue
        try:
            for column in value.columns:
                if str(column) in old.columns or not _all_missing(value[column]):
                    continue
                where = f"{name}[{str(column)!r}]"
                sources = [source for source in _sources(tree, name, str(column)) if source in value.columns]
                sources = [source for source in sources if not _all_missing(value[source])]
                if not sources:
                    notes.append(Finding(Kind.EMPTY_COLUMN, where))
                    continue
                facts = {
                    "source": f"{name}[{sources[0]!r}]",
                    "first": ", ".join(repr(item) for item in value[sources[0]].head(3).tolist()),
                    "strange": _not_numeric(value[sources[0]].head(20).tolist()),
                }
                found.append(Finding(Kind.FAILED_CONVERSION, where, facts))
        except Exception:
            continue
    return found, notes


def judge_round(
    reading: Reading, namespace: dict[str, Any], before: dict[str, Fingerprint], *, code: str, output: str
) -> Findings:
    """What the run left undone (stops) and what the user may want to look at (notes).

    `before` is `notebook.changes.snapshot` of the namespace taken before the code ran."""
    findings = Findings()
    stops, notes = findings.stops, findings.notes
    if "ChainedAssignmentError" in output:
        stops.append(Finding(Kind.CHAINED_ASSIGNMENT))
    tree = _parsed(code)
    columns = set(reading.columns)
    certain, mentioned = reading.certain, reading.mentioned
    missing = [name for name in certain if not _known(name, namespace, column=name in columns)]
    made = [name for name in certain if name in namespace and _changed(name, before, namespace)]
    if missing and not made and _MISSING_SAID.search(output) and _guards(tree):
        said = next(line.strip() for line in output.splitlines() if _MISSING_SAID.search(line))
        stops.append(Finding(Kind.GUARDED, ", ".join(missing), {"printed": said[:120]}))
    for name in missing:
        stops.append(Finding(Kind.NO_COLUMN if name in columns else Kind.UNDEFINED, name))
    for name in mentioned:
        if not _known(name, namespace, column=name in columns) and not _library_word(name):
            notes.append(Finding(Kind.MENTIONED_UNDEFINED, name))
    bound = _bound_names(tree)
    answered = {
        name
        for name in reading.names
        if name in namespace and (name in bound or _changed(name, before, namespace))
    }
    for name in reading.names:
        if name in answered:
            if name in certain and (problem := _none_result(name, namespace[name])) is not None:
                stops.append(problem)
            elif (problem := _missing_result(name, namespace[name])) is not None:
                notes.append(problem)
    unmet, unsure = unmet_expectations(reading.prose, reading.names, namespace, tree, answered)
    stops += unmet
    notes += unsure
    empty, unsure = _new_empty_columns(before, namespace, tree)
    stops += empty
    notes += unsure
    for name, value in list(namespace.items()):
        if _is_frame(value) and _changed(name, before, namespace) and (separator := misread_separator(value)):
            stops.append(Finding(Kind.MISREAD_SEPARATOR, name, {"separator": separator}))
    return findings


def _bound_names(tree: ast.Module) -> set[str]:
    """The names the code assigns or defines (a rebinding to None keeps the same object: identity cannot
    tell)."""
    return {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    } | {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def _changed(name: str, before: dict[str, Fingerprint], namespace: dict[str, Any]) -> bool:
    """Whether the run bound `name` anew or changed it (by identity or shape)."""
    old = before.get(name)
    return old is None or name not in namespace or old != fingerprint(namespace[name])


# A request that asks for made-up data: a verb of making, then in the same sentence a word for such data
# ("Replace contacts with a small sample", "Generate random numbers into arr"). The words alone are not
# enough: people describe their own data as "an example data frame" or "this sample" (DS-1000's questions).
_ASKS_FOR_MADE_UP = re.compile(
    r"\b(?:create|make|generate|build|simulate|invent|replace|overwrite|give|write|fill|populate|prepare|"
    r"set up|mock up)\b[^.!?\n]*?\b(?:sample|example|fake|dummy|synthetic|toy|mock|random|made[- ]up)\b",
    re.I,
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
    """Whether the literal `node` builds holds what `value` holds: a list or dict written out again, an
    array (np.array([...])) or a DataFrame built from the same values, floats equal to their printed
    precision."""
    try:
        literal = ast.literal_eval(node.args[0] if isinstance(node, ast.Call) else node)
    except (ValueError, SyntaxError, IndexError, TypeError):  # not a plain literal: a name bound in the code
        return False
    try:
        if hasattr(value, "dtype") or _is_frame(value) or hasattr(value, "iloc"):
            import numpy  # the value is numpy's or pandas': numpy is there

            built = (
                type(value)(literal) if _is_frame(value) or hasattr(value, "iloc") else numpy.asarray(literal)
            )
            ours, theirs = numpy.asarray(built), numpy.asarray(value)
            if ours.shape != theirs.shape:
                return False
            if ours.dtype.kind in "biufc" and theirs.dtype.kind in "biufc":
                return bool(numpy.allclose(ours, theirs, rtol=1e-4, atol=1e-8, equal_nan=True))
            return bool((ours == theirs).all())
        return bool(literal == value)
    except Exception:  # values that do not compare
        return False


@dataclass(frozen=True)
class Replacement:
    """A top-level statement of generated code that would replace the user's `name` with values written
    into the code."""

    name: str
    description: str  # the user's value, as the notebook summary shows it
    statement: ast.stmt
    same: bool = False  # the values the user's `name` already holds, written out again: nothing is lost

    @property
    def lines(self) -> range:
        """The statement's lines, from 1."""
        return range(self.statement.lineno, (self.statement.end_lineno or self.statement.lineno) + 1)

    @property
    def finding(self) -> Finding:
        """Why the code was not run."""
        return Finding(Kind.REPLACES_DATA, self.name, {"description": self.description})

    @property
    def left_out(self) -> Finding:
        """Why the statement was left out."""
        first, last = self.lines[0], self.lines[-1]
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        facts = {"lines": where, "same": self.same, "description": self.description}
        return Finding(Kind.LEFT_OUT, self.name, facts)


def replacements(
    code: str, namespace: dict[str, Any], request: str, *, same_values: bool = False
) -> list[Replacement]:
    """The statements of `code` that would replace the user's data (a DataFrame, an array, a list, a dict
    they have) with other values written into the code; with `same_values`, also those that write out the
    values it holds (harmless, but code that rebuilds its inputs from a printout works on nothing else).
    Code that only makes new names, or a request that asks for sample data: none."""
    if _ASKS_FOR_MADE_UP.search(request) or "```" in request:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    literal_names: set[str] = set()
    found: list[Replacement] = []
    for statement in tree.body:  # top-level statements, in order: what runs for sure
        if not isinstance(statement, ast.Assign) or not _literal(statement.value, literal_names):
            continue
        for target in statement.targets:
            if not isinstance(target, ast.Name):
                continue
            literal_names.add(target.id)
            value = namespace.get(target.id)
            if value is None or not _holds_data(value):
                continue  # new data
            same = _same_values(statement.value, value)  # the user's own values copied from the summary
            if (same_values or not same) and target.id not in [r.name for r in found]:
                description = describe_value(value).split("\n", 1)[0][:80]
                found.append(Replacement(target.id, description, statement, same))
    return found


def as_it_would_run(code: str, namespace: dict[str, Any], request: str) -> str:
    """`code` as the loop would run it: the statements that would replace the user's data left out where
    they can be (a candidate tried on values written into it says nothing about the user's data)."""
    replacing = replacements(code, namespace, request, same_values=True)
    kept = without_replacements(code, replacing) if replacing else None
    return kept[0] if kept else code


def without_replacements(code: str, replacing: list[Replacement]) -> tuple[str, list[Finding]] | None:
    """`code` with the statements that would replace the user's data commented out, and what was left out
    (one finding each, with its lines), so that the rest runs on the data the user has. Models copy the
    sample that a question prints into their code however often they are told not to; the rest of the code
    is usually the answer. None when that cannot be done cleanly: a left-out statement shares a line with
    another, or nothing would be left to run."""
    lines = code.splitlines(keepends=True)
    tree = ast.parse(code)
    dropped: set[int] = set()
    said = []
    for found in replacing:
        span = set(found.lines)
        at = (found.statement.lineno, found.statement.col_offset)
        if any((s.lineno, s.col_offset) != at and {s.lineno, s.end_lineno} & span for s in tree.body):
            return None  # `df = pd.DataFrame(...); total = 0`: the line holds more than the replacement
        dropped |= span
        said.append(found.left_out)
    kept = "".join(line for number, line in enumerate(lines, 1) if number not in dropped)
    try:
        rest = ast.parse(kept)
    except SyntaxError:
        return None
    if not any(not isinstance(s, ast.Import | ast.ImportFrom) for s in rest.body):
        return None
    shown = []  # the cell keeps the left-out lines, commented, where they were
    for number, line in enumerate(lines, 1):
        if number in dropped and number - 1 not in dropped:
            shown.append("# left out by oci-magic: the code runs on your data, not on values written here\n")
        shown.append(f"# {line}" if number in dropped else line)
    return "".join(shown), said
