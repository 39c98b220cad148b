"""What a request says about the results it asks for beyond their names, and whether a run's values agree.
Only words with one meaning are read, so a miss here is a miss for sure:

- the kind of value: "region_totals (a Series ...)", "a DataFrame players", "a list ... called missing";
- "monthly_visits, indexed by the month": not the default 0, 1, 2, ... index;
- "count the visits per month into monthly_visits": no month twice in its index (set, never aggregated);
- "total_revenue, the sum of ...", "the average basket size into avg_basket": one number, not many
  ("per", "each", "by" in the words make them many);
- a function asked for with examples: "f('a b') should return 'a-b'" must give that.

What cannot be known for certain is a note for the user, not a miss: inputs a function is shown with
("strings like '1h30m', '45m' or '2h'": the prose may speak of a column's values, not the function's
argument) that make it raise or give nothing, an example whose answer does not compare (an array against a
list), a merge that lost rows whose keys match once case and spaces are ignored ('Ann Lee' and 'ann lee ':
the user may want exact keys).

A kind is its subclasses too: a Counter is a dict. "the mean of the numeric columns into col_means" is not
one number: plural words or a plural name ask for many.

Each miss and note is a `findings.Finding` (outcome.judge_round adds them to the round's). Nothing here
imports pandas: values are looked at through the attributes they carry.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import math
import re
import signal
import threading
import types
from typing import Any

from oci_magic.checks.findings import Finding, Kind

__all__ = ["unmet_expectations"]

_NAME = r"`?(?P<name>[A-Za-z_]\w*)`?"
_KIND_WORDS = {
    "dataframe": "DataFrame",
    "data frame": "DataFrame",
    "series": "Series",
    "list": "list",
    "dict": "dict",
    "dictionary": "dict",
}
_KIND = r"(?P<kind>DataFrame|dataframe|data frame|Series|series|list|dict|dictionary)"
# "region_totals (a Series indexed by region)", "a DataFrame players", "into a list ... called missing".
_KIND_PATTERNS = (
    re.compile(rf"{_NAME}\s*\(\s*(?:a|an)\s+(?:new\s+)?{_KIND}\b"),
    re.compile(
        rf"\b(?:a|an)\s+(?:new\s+)?{_KIND}\s+(?:called\s+|named\s+)?{_NAME}(?=\s*(?:[.,;:()]|$)|\s+\w)"
    ),
    re.compile(
        rf"\b(?:a|an)\s+(?:new\s+)?{_KIND}\b(?:\s+of\s+[\w\s'\"-]{{1,40}}?)?\s+(?:called|named)\s+{_NAME}"
    ),
)
_KIND_HINTS = {
    ("list", "Series"): " (.tolist() makes one)",
    ("list", "ndarray"): " (.tolist() makes one)",
    ("DataFrame", "Series"): " (.to_frame() or .reset_index() makes one)",
    ("Series", "DataFrame"): " (one column of it, or a groupby on one column)",
}
_INDEXED_BY = re.compile(r"\bindexed by\s+(?:the\s+)?([\w\s'-]{1,40}?)(?=\s*(?:[.,;:)]|$|\s+and\b))")
_AGGREGATES = (
    "sum|total|mean|average|median|number|count|share|percentage|proportion|fraction|ratio|maximum|minimum"
)
_AGGREGATE = rf"(?P<word>{_AGGREGATES})"
# "total_revenue, the sum of quantity times price" / "the average basket size into avg_basket".
_ONE_NUMBER = (
    re.compile(rf"{_NAME},?\s+(?:which is\s+)?the\s+(?:overall\s+)?{_AGGREGATE}\b(?P<words>[^.;:()]*)"),
    re.compile(
        rf"\bthe\s+(?:overall\s+)?{_AGGREGATE}\b(?P<words>[^.;:()]*?)\s+(?:as|into|in)\s+{_NAME}\s*"
        r"(?=[.,;:()]|$)"
    ),
)
# "Count the visits per month", "the total amount for each region": one value per group.
_PER_GROUP = re.compile(
    rf"\b(?:count|counts|counted|{_AGGREGATES})\b[^.;]*?\b(?:per|for each|for every|of each)\s+"
    r"(?:the\s+)?(\w+)",
    re.I,
)
_MANY = re.compile(r"\b(?:per|each|every|by|grouped|groups?)\b")
# "the mean of the numeric columns": one value per column.
_PLURAL_WORDS = re.compile(r"\b(?:columns|rows|fields|variables|features|series|arrays|frames|lists)\b")
_PLURAL = re.compile(r"(?<!s)s$")
_REDUCE = {"sum": ".sum()", "total": ".sum()", "mean": ".mean()", "average": ".mean()", "median": ".median()",
           "number": "len(...)", "count": "len(...)", "maximum": ".max()", "minimum": ".min()"}  # fmt: skip

_LITERAL = r"('(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|-?\d+(?:\.\d+)?|True|False|None|\[[^\[\]\n]*\])"
# "slugify('A b') should return 'a-b'", "f(2) == 4", "f('x') -> 'y'", "parse('1h') gives 3600".
_EXAMPLE_PAIR = re.compile(
    r"\b([A-Za-z_]\w*)\(([^()\n]*)\)`?\s*(?:==|->|→|=>|returns?|should (?:return|give|be)|gives?|is)\s+`?"
    + _LITERAL
)
# "strings like '1h30m', '45m', '2h' or '1h5m30s'": inputs a function is said to take.
_EXAMPLE_INPUTS = re.compile(
    r"\b(?:like|such as|e\.g\.,?|for example,?|for instance,?)\s+"
    r"((?:'[^'\n]*'|\"[^\"\n]*\")(?:\s*(?:,|or|and|, or|, and)\s*(?:'[^'\n]*'|\"[^\"\n]*\"))*)"
)
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CALL_SECONDS = 2.0  # an example call that runs longer is left unjudged (it may be waiting for input)


def unmet_expectations(
    prose: str, asked: tuple[str, ...], namespace: dict[str, Any], tree: ast.Module, bound: set[str]
) -> tuple[list[Finding], list[Finding]]:
    """(misses, notes): what the run's values contradict in the request's words for certain, and what the
    user may want to look at (`prose`: the request without its code blocks); `tree` is
    the round's parsed code. Only the names the round bound are judged (a name left from before is not this
    round's answer)."""
    judged = [name for name in asked if name in namespace and name in bound]
    found: list[Finding] = []
    notes: list[Finding] = []
    for name in judged:
        value = namespace[name]
        found += filter(
            None,
            (
                _wrong_kind(prose, name, value),
                _not_indexed(prose, name, value, asked),
                _repeated_groups(prose, name, value),
                _not_one_number(prose, name, value),
            ),
        )
    functions = [name for name in judged if inspect.isfunction(namespace[name])]
    misses, unsure = _function_examples(prose, functions, namespace)
    return found + misses, notes + unsure + _lossy_merges(tree, namespace)


# -- kinds, indexes, single numbers ------------------------------------------------------------------------
def _wrong_kind(prose: str, name: str, value: Any) -> Finding | None:
    for pattern in _KIND_PATTERNS:
        for match in pattern.finditer(prose):
            if match["name"] != name:
                continue
            wanted, got = _KIND_WORDS.get(match["kind"].lower(), match["kind"]), type(value).__name__
            if wanted in {kind.__name__ for kind in type(value).__mro__}:  # a Counter is a dict
                return None
            hint = _KIND_HINTS.get((wanted, got), "")
            return Finding(Kind.WRONG_KIND, name, {"got": got, "wanted": wanted, "hint": hint})
    return None


def _not_indexed(prose: str, name: str, value: Any, asked: tuple[str, ...]) -> Finding | None:
    """A Series or DataFrame asked to be "indexed by" something that kept the default 0, 1, 2, ... index.
    "indexed by" belongs to the asked name written last before it in its sentence."""
    index = getattr(value, "index", None)
    if type(index).__name__ != "RangeIndex" or index.name is not None or not hasattr(value, "iloc"):
        return None
    for sentence in _SENTENCE_END.split(prose):
        for match in _INDEXED_BY.finditer(sentence):
            before = sentence[: match.start()]
            owners = [(m.start(), n) for n in asked for m in _mentions(n).finditer(before)]
            if owners and max(owners)[1] == name:
                return Finding(Kind.NOT_INDEXED, name, {"by": match.group(1).strip()})
    return None


def _mentions(name: str) -> re.Pattern[str]:
    """`name` as a word of prose (not part of `df.name` or `name_2`)."""
    return re.compile(rf"(?<![\w.]){re.escape(name)}\b")


def _repeated_groups(prose: str, name: str, value: Any) -> Finding | None:
    """A count or total "per month" whose index repeats a label: one value per group was asked, and the
    index was set without aggregating."""
    index = getattr(value, "index", None)
    if index is None or not hasattr(value, "iloc") or type(index).__name__ == "RangeIndex":
        return None
    try:
        if index.is_unique:
            return None
        counts = index.value_counts()
        label, times = counts.index[0], int(counts.iloc[0])
        label = repr(label) if isinstance(label, str) else str(label)  # 2, not np.int64(2)
    except Exception:
        return None
    for sentence in _SENTENCE_END.split(prose):
        if _mentions(name).search(sentence) and (group := _PER_GROUP.search(sentence)):
            facts = {"label": label, "times": times, "rows": len(index), "group": group.group(1)}
            return Finding(Kind.REPEATED_GROUPS, name, facts)
    return None


def _not_one_number(prose: str, name: str, value: Any) -> Finding | None:
    """A result the request calls "the sum of ..." (one number) that holds many values."""
    try:
        many = not isinstance(value, (str, bytes, dict)) and hasattr(value, "__len__") and len(value) > 1
    except Exception:
        return None
    if not many:
        return None
    if _PLURAL.search(name):  # col_means, totals: a plural name asks for many
        return None
    for pattern in _ONE_NUMBER:
        for match in pattern.finditer(prose):
            word, words = match["word"], match["words"]
            if match["name"] != name or _MANY.search(words) or _PLURAL_WORDS.search(words):
                continue
            facts = {
                "count": len(value),
                "type": type(value).__name__,
                "aggregate": f"{word}{words.rstrip()}",
                "reduce": _REDUCE.get(word.lower(), ""),
            }
            return Finding(Kind.NOT_ONE_NUMBER, name, facts)
    return None


# -- functions and their examples ---------------------------------------------------------------------------
def _function_examples(
    prose: str, functions: list[str], namespace: dict[str, Any]
) -> tuple[list[Finding], list[Finding]]:
    found, notes = [], []
    for name in functions:
        pairs = _example_pairs(prose, name)
        if pairs:
            misses, unsure = _wrong_answers(name, namespace[name], pairs)
            found += misses
            notes += unsure
        elif len(functions) == 1:  # inputs shown without answers go with the one function asked for
            notes += _unhandled_inputs(name, namespace[name], _example_inputs(prose))
    return found, notes


def _example_pairs(prose: str, name: str) -> list[tuple[tuple, Any]]:
    """(arguments, answer) of the examples the request gives for `name`: "slugify('A b') gives 'a-b'"."""
    pairs = []
    for match in _EXAMPLE_PAIR.finditer(prose):
        if match.group(1) == name and (args := _literals(match.group(2))) is not None:
            with contextlib.suppress(ValueError, SyntaxError):
                pairs.append((args, ast.literal_eval(match.group(3))))
    return pairs


def _wrong_answers(
    name: str, function: Any, pairs: list[tuple[tuple, Any]]
) -> tuple[list[Finding], list[Finding]]:
    found, notes = [], []
    for args, expected in pairs:
        outcome, result = _call(function, args)
        shown = f"{name}({', '.join(map(repr, args))})"
        if outcome == "raised":
            found.append(Finding(Kind.EXAMPLE_RAISED, shown, {"error": result, "expected": repr(expected)}))
        elif outcome == "returned" and (same := _equal(result, expected)) is not True:
            facts = {"returned": _shown(result), "expected": repr(expected)}
            if same is False:
                found.append(Finding(Kind.EXAMPLE_WRONG, shown, facts))
            else:
                notes.append(Finding(Kind.EXAMPLE_UNSURE, shown, facts))
    return found, notes


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + " ..."


def _example_inputs(prose: str) -> list[Any]:
    """The quoted inputs after "like", "such as", "e.g." ("strings like '1h30m', '45m' or '2h')."""
    found = []
    for match in _EXAMPLE_INPUTS.finditer(prose):
        for text in _QUOTED.findall(match.group(1)):
            with contextlib.suppress(ValueError, SyntaxError):
                found.append(ast.literal_eval(text))
    return found


def _unhandled_inputs(name: str, function: Any, inputs: list[Any]) -> list[Finding]:
    """An input the function raises on, or nothing (0, None, '') for every one of several inputs."""
    if not inputs or not _takes_one_argument(function):
        return []
    answers = []
    for argument in inputs:
        outcome, result = _call(function, (argument,))
        if outcome == "raised":
            facts = {"error": result, "input": repr(argument)}
            return [Finding(Kind.INPUT_RAISED, f"{name}({argument!r})", facts)]
        if outcome == "returned":
            answers.append(result)
    same = len({repr(answer) for answer in answers}) == 1
    if len(set(inputs)) > 1 and len(answers) == len(inputs) and same and _nothing(answers[0]):
        shown = ", ".join(f"{name}({argument!r})" for argument in inputs)
        return [Finding(Kind.INPUTS_GIVE_NOTHING, name, {"calls": shown, "returned": repr(answers[0])})]
    return []


def _literals(text: str) -> tuple | None:
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        return tuple(ast.literal_eval(argument) for argument in call.args) if not call.keywords else None
    except (ValueError, SyntaxError):
        return None


def _takes_one_argument(function: Any) -> bool:
    try:
        inspect.signature(function).bind("x")
        return True
    except (TypeError, ValueError):
        return False


def _nothing(value: Any) -> bool:
    return value is None or (type(value) in (int, float, str, list, dict, tuple) and not value)


def _equal(result: Any, expected: Any) -> bool | None:
    """Whether `result` is the example's answer; None when that cannot be told (an array against a list,
    objects whose == does not give one truth value)."""
    try:
        if isinstance(expected, (int, float)) and not isinstance(expected, bool):
            if isinstance(result, (str, bytes, list, tuple, dict, type(None))):
                return False
            return math.isclose(float(result), float(expected), rel_tol=1e-6, abs_tol=1e-9)
        if isinstance(expected, list) and isinstance(result, tuple):
            result = list(result)
        if type(result) in (str, bytes, list, tuple, dict, set, bool, int, float, type(None)):
            return bool(result == expected)
        return None  # numpy, pandas and other objects: their == is their own
    except Exception:
        return None


class _TooLong(Exception):
    pass


def _call(function: Any, args: tuple) -> tuple[str, Any]:
    """("returned", value), ("raised", "ValueError: ...") or ("unknown", None): the call runs with its
    printing swallowed and, on the main thread, at most CALL_SECONDS (elsewhere it is not made at all)."""
    if threading.current_thread() is not threading.main_thread():
        return "unknown", None

    def too_long(signum, frame):
        raise _TooLong

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return "returned", function(*args)
    except _TooLong:
        return "unknown", None
    except Exception as exc:
        return "raised", f"{type(exc).__name__}: {str(exc)[:120]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- merges -------------------------------------------------------------------------------------------------
def _lossy_merges(tree: ast.Module, namespace: dict[str, Any]) -> list[Finding]:
    """Merges in the code (pd.merge(a, b, on=...), a.merge(b, left_on=..., right_on=...)) of two DataFrames
    of the namespace whose key values match only once case and spaces are ignored."""
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "merge"
        ):
            continue
        frames = [*([node.func.value] if not _is_module(node.func.value, namespace) else []), *node.args]
        if len(frames) < 2 or not all(isinstance(f, ast.Name) for f in frames[:2]):
            continue
        left, right = (namespace.get(f.id) for f in frames[:2])
        if not (hasattr(left, "columns") and hasattr(right, "columns")):
            continue
        keywords = {k.arg: _constant(k.value) for k in node.keywords}
        left_keys = keywords.get("left_on") or keywords.get("on")
        right_keys = keywords.get("right_on") or keywords.get("on")
        if isinstance(left_keys, str) and isinstance(right_keys, str):
            said = _near_misses(left, right, left_keys, right_keys, frames[0].id, frames[1].id)
            if said:
                found.append(said)
    return found


def _is_module(node: ast.AST, namespace: dict[str, Any]) -> bool:
    return isinstance(node, ast.Name) and isinstance(namespace.get(node.id), types.ModuleType)


def _constant(node: ast.AST) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def _near_misses(
    left: Any, right: Any, left_key: str, right_key: str, left_name: str, right_name: str
) -> Finding | None:
    try:
        if left_key not in left.columns or right_key not in right.columns:
            return None
        ours, theirs = left[left_key].dropna().tolist(), right[right_key].dropna().tolist()
    except Exception:
        return None
    if not all(isinstance(v, str) for v in ours + theirs):
        return None

    def normal(text: str) -> str:
        return " ".join(text.split()).casefold()

    exact, loose = set(theirs), {normal(v): v for v in theirs}
    misses = [(v, loose[normal(v)]) for v in dict.fromkeys(ours) if v not in exact and normal(v) in loose]
    if not misses:
        return None
    ours_shown, theirs_shown = misses[0]
    facts = {
        "left": left_name,
        "right": right_name,
        "key": repr(left_key),
        "count": len(misses),
        "ours": repr(ours_shown),
        "theirs": repr(theirs_shown),
    }
    return Finding(Kind.LOSSY_MERGE, f"{left_name}[{left_key!r}]", facts)
