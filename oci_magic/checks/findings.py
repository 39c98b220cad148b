"""What the checks find in a round, as records: a kind, the name (or column, call, lines) it concerns, and
the facts. Text is made at the edge, by one of two renderers: `for_model` (what was found and what to do
about it: the model's "Execution result:" turn) and `for_people` (what was found: the views, the run's
summary, the reports). Code that needs to know what was found reads the kind and the facts, never the text.

Where a finding goes on a round: `shortfalls` (certain: the round did not do what was asked, or its code was
not run), `notes` (not known for certain: shown to the user, never fed back as a failure), `left_out`
(statements not run because they would replace the user's data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Kind", "Finding", "for_model", "for_people", "as_record"]


class Kind(StrEnum):
    # Certain: the round is stopped and the model told.
    CHAINED_ASSIGNMENT = "chained assignment"  # pandas said an inplace change never reached the DataFrame
    GUARDED = "guarded"  # the code printed "... not found" instead of computing the result
    NO_COLUMN = "no column"  # a column the request asks for is in no DataFrame
    UNDEFINED = "undefined"  # a name the request asks for is not defined
    NONE_RESULT = "none result"  # an asked result is None
    WRONG_KIND = "wrong kind"  # a list asked for, a Series made
    NOT_INDEXED = "not indexed"  # "indexed by" asked, the default index kept
    REPEATED_GROUPS = "repeated groups"  # one value per group asked, a label repeats
    NOT_ONE_NUMBER = "not one number"  # "the sum of" asked, many values made
    EXAMPLE_RAISED = "example raised"  # a function's example from the request raised
    EXAMPLE_WRONG = "example wrong"  # a function's example gave another answer
    FAILED_CONVERSION = "failed conversion"  # a column computed from one with values is missing everywhere
    MISREAD_SEPARATOR = "misread separator"  # a file read with the wrong separator
    REPLACES_DATA = "replaces data"  # code not run: it would replace the user's data with written values
    # Not certain: notes for the user.
    MENTIONED_UNDEFINED = "mentioned, undefined"  # a name the request only mentions is not defined
    NAN_RESULT = "nan result"  # an asked result is nan
    ALL_MISSING = "all missing"  # every value of an asked result is missing
    EXAMPLE_UNSURE = "example unsure"  # a function's example gave an answer that does not compare
    INPUT_RAISED = "input raised"  # an input the request shows made the function raise
    INPUTS_GIVE_NOTHING = "inputs give nothing"  # the inputs the request shows all gave nothing
    EMPTY_COLUMN = "empty column"  # a new column missing everywhere, computed from no column
    LOSSY_MERGE = "lossy merge"  # merge keys that match only once case and spaces are ignored
    # Not run: a statement left out of the code.
    LEFT_OUT = "left out"


@dataclass(frozen=True)
class Finding:
    """One thing a check found. `subject` is what it concerns (a name, a column as `df['x']`, a call as
    written, the lines); `facts` are the values the sentence is made of (text and numbers only, so that a
    record is JSON)."""

    kind: Kind
    subject: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


def for_model(finding: Finding) -> str:
    """The sentence the model reads: what was found, and what to do about it."""
    found, advice = _SENTENCES[finding.kind](finding.subject, finding.facts)
    return found + advice


def for_people(finding: Finding) -> str:
    """The sentence a person reads: what was found."""
    return _SENTENCES[finding.kind](finding.subject, finding.facts)[0]


def as_record(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Findings as JSON records (the benchmarks' results.json): kind, subject, facts and the people's text."""
    return [
        {"kind": str(f.kind), "subject": f.subject, "facts": dict(f.facts), "text": for_people(f)}
        for f in findings
    ]


# Each kind's sentence, in two parts: what was found, then the advice only the model is given.
_Sentence = Callable[[str, dict[str, Any]], tuple[str, str]]


def _when(text: str, condition: Any) -> str:
    return text if condition else ""


def _returned(s: str, f: dict[str, Any]) -> tuple[str, str]:
    return f"{s} returned {f['returned']}; the request says it gives {f['expected']}", ""


_SENTENCES: dict[Kind, _Sentence] = {
    Kind.CHAINED_ASSIGNMENT: lambda s, f: (
        "pandas warned (ChainedAssignmentError) that an inplace method on a column never changes the "
        "DataFrame",
        ": assign the result back instead, e.g. df[col] = df[col].fillna(...)",
    ),
    Kind.GUARDED: lambda s, f: (
        f'the code printed "{f["printed"]}" instead of computing the result',
        ": find why (the real names and values are shown above) and fix that; do not guard against it",
    ),
    Kind.NO_COLUMN: lambda s, f: (f"no DataFrame has a column `{s}`; the request asks for that column", ""),
    Kind.UNDEFINED: lambda s, f: (
        f"`{s}` is not defined (not as a variable nor as a column); the request asks for it",
        "",
    ),
    Kind.NONE_RESULT: lambda s, f: (
        f"`{s}` is None (an inplace method returns None: keep the object, not what the call returned)",
        "",
    ),
    Kind.WRONG_KIND: lambda s, f: (
        f"`{s}` is a {f['got']}; the request asks for a {f['wanted']}",
        f["hint"],
    ),
    Kind.NOT_INDEXED: lambda s, f: (
        f"`{s}` has the default index 0, 1, 2, ...; the request asks for it indexed by {f['by']}",
        ": make that the index (grouping by it does, or .set_index)",
    ),
    Kind.REPEATED_GROUPS: lambda s, f: (
        f"`{s}` repeats index labels ({f['label']} appears {f['times']} times in {f['rows']} rows); the "
        f"request asks for one value per {f['group']}",
        ": aggregate by it (groupby(...).size() or .sum()), do not only set the index",
    ),
    Kind.NOT_ONE_NUMBER: lambda s, f: (
        f"`{s}` holds {f['count']} values (a {f['type']}); the request asks for one number, the "
        f"{f['aggregate']}",
        ": reduce it to a single value" + _when(f" (e.g. with {f['reduce']})", f["reduce"]),
    ),
    Kind.EXAMPLE_RAISED: lambda s, f: (
        f"{s} raised {f['error']}; the request says it gives {f['expected']}",
        "",
    ),
    Kind.EXAMPLE_WRONG: _returned,
    Kind.FAILED_CONVERSION: lambda s, f: (
        f"`{s}` is missing (NaN) in every row: nothing was converted from `{f['source']}`, whose values look "
        f"like {f['first']}" + _when(f"; they hold characters no number has ({f['strange']})", f["strange"]),
        _when(": remove them before converting", f["strange"]),
    ),
    Kind.MISREAD_SEPARATOR: lambda s, f: (
        f"the column names of `{s}` contain {f['separator']}: its file is separated by {f['separator']} and "
        "was not read that way",
        "",
    ),
    Kind.REPLACES_DATA: lambda s, f: (
        f"it would replace your `{s}` ({f['description']}) with values written into the code",
        f"; use the `{s}` that is there",
    ),
    Kind.MENTIONED_UNDEFINED: lambda s, f: (
        f"the request mentions `{s}`; nothing of that name was defined (if it is asked for, the round did "
        "not make it)",
        "",
    ),
    Kind.NAN_RESULT: lambda s, f: (
        f"`{s}` is nan: the values it was computed from are missing or were not numbers",
        "",
    ),
    Kind.ALL_MISSING: lambda s, f: (f"every value of `{s}` is missing (NaN)", ""),
    Kind.EXAMPLE_UNSURE: _returned,  # the same facts; only not certain
    Kind.INPUT_RAISED: lambda s, f: (
        f"{s} raised {f['error']}; the request shows {f['input']} as an input it takes",
        "",
    ),
    Kind.INPUTS_GIVE_NOTHING: lambda s, f: (
        f"{f['calls']} all returned {f['returned']}: the function gives nothing for the inputs the request "
        "shows",
        "; make it handle them",
    ),
    Kind.EMPTY_COLUMN: lambda s, f: (f"`{s}` is missing (NaN) in every row", ""),
    Kind.LOSSY_MERGE: lambda s, f: (
        f"merging `{f['left']}` and `{f['right']}` on {f['key']}: {f['count']} of `{f['left']}`'s keys "
        f"match `{f['right']}`'s only when case and spaces are ignored ({f['ours']} vs {f['theirs']}), "
        "so their rows were lost or left unmatched",
        ": normalize both key columns (e.g. .str.strip().str.lower()) and merge again",
    ),
    Kind.LEFT_OUT: lambda s, f: (
        f"{f['lines']} left out: `{s} = ...` "
        + (
            f"writes out again the values your `{s}` holds"
            if f["same"]
            else f"would replace your `{s}` ({f['description']}) with values written into the code"
        )
        + f"; the rest ran on your `{s}`",
        "",
    ),
}
