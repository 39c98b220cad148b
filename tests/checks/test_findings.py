# ruff: noqa: E501  (the sentences are kept whole, as the model and people read them)
"""Findings are records (a kind, what they concern, the facts); text is made at the edge. Each kind's two
renderings: `for_model` (what was found and what to do: the sentences the model has always been given) and
`for_people` (what was found), on the facts the checks found in the rounds of test_outcome.py and
test_expectations.py."""

import json

import pytest

from oci_magic.checks.findings import Finding, Kind, as_record, for_model, for_people

CONTACTS = "DataFrame 3×2 columns: 'email' str, 'n' int64"

# (finding, what the model reads, what a person reads when the advice is left out; None: the same)
CASES = [
    (
        Finding(Kind.CHAINED_ASSIGNMENT),
        "pandas warned (ChainedAssignmentError) that an inplace method on a column never changes the "
        "DataFrame: assign the result back instead, e.g. df[col] = df[col].fillna(...)",
        "pandas warned (ChainedAssignmentError) that an inplace method on a column never changes the "
        "DataFrame",
    ),
    (
        Finding(Kind.GUARDED, "share", {"printed": "The 'status' column does not exist"}),
        "the code printed \"The 'status' column does not exist\" instead of computing the result: find why (the "
        "real names and values are shown above) and fix that; do not guard against it",
        "the code printed \"The 'status' column does not exist\" instead of computing the result",
    ),
    (
        Finding(Kind.NO_COLUMN, "value"),
        "no DataFrame has a column `value`; the request asks for that column",
        None,
    ),
    (
        Finding(Kind.UNDEFINED, "avg_basket"),
        "`avg_basket` is not defined (not as a variable nor as a column); the request asks for it",
        None,
    ),
    (
        Finding(Kind.NONE_RESULT, "ranked"),
        "`ranked` is None (an inplace method returns None: keep the object, not what the call returned)",
        None,
    ),
    (
        Finding(
            Kind.WRONG_KIND,
            "region_totals",
            {
                "got": "DataFrame",
                "wanted": "Series",
                "hint": " (one column of it, or a groupby on one column)",
            },
        ),
        "`region_totals` is a DataFrame; the request asks for a Series (one column of it, or a groupby on one "
        "column)",
        "`region_totals` is a DataFrame; the request asks for a Series",
    ),  # fmt: skip
    (
        Finding(Kind.NOT_INDEXED, "monthly_visits", {"by": "month number"}),
        "`monthly_visits` has the default index 0, 1, 2, ...; the request asks for it indexed by month number: "
        "make that the index (grouping by it does, or .set_index)",
        "`monthly_visits` has the default index 0, 1, 2, ...; the request asks for it indexed by month number",
    ),
    (
        Finding(
            Kind.REPEATED_GROUPS, "monthly_visits", {"label": "2", "times": 2, "rows": 3, "group": "month"}
        ),
        "`monthly_visits` repeats index labels (2 appears 2 times in 3 rows); the request asks for one value "
        "per month: aggregate by it (groupby(...).size() or .sum()), do not only set the index",
        "`monthly_visits` repeats index labels (2 appears 2 times in 3 rows); the request asks for one value "
        "per month",
    ),
    (
        Finding(
            Kind.NOT_ONE_NUMBER,
            "total_revenue",
            {
                "count": 2,
                "type": "Series",
                "reduce": ".sum()",
                "aggregate": "sum of quantity times price over all orders",
            },
        ),
        "`total_revenue` holds 2 values (a Series); the request asks for one number, the sum of quantity "
        "times price over all orders: reduce it to a single value (e.g. with .sum())",
        "`total_revenue` holds 2 values (a Series); the request asks for one number, the sum of quantity "
        "times price over all orders",
    ),  # fmt: skip
    (
        Finding(Kind.NOT_ONE_NUMBER, "n", {"count": 3, "type": "list", "aggregate": "share", "reduce": ""}),
        "`n` holds 3 values (a list); the request asks for one number, the share: reduce it to a single value",
        "`n` holds 3 values (a list); the request asks for one number, the share",
    ),
    (
        Finding(Kind.EXAMPLE_RAISED, "f('a')", {"error": "KeyError: 'a'", "expected": "1"}),
        "f('a') raised KeyError: 'a'; the request says it gives 1",
        None,
    ),
    (
        Finding(
            Kind.EXAMPLE_WRONG,
            "slugify('Hello, World!')",
            {"returned": "'hello--world'", "expected": "'hello-world'"},
        ),
        "slugify('Hello, World!') returned 'hello--world'; the request says it gives 'hello-world'",
        None,
    ),  # fmt: skip
    (
        Finding(Kind.EXAMPLE_UNSURE, "f(1)", {"returned": "array([1])", "expected": "[1]"}),
        "f(1) returned array([1]); the request says it gives [1]",
        None,
    ),
    (
        Finding(
            Kind.FAILED_CONVERSION,
            "catalog['price_num']",
            {"source": "catalog['price']", "first": "'$1,234.50', '$10.00'", "strange": "'$', ','"},
        ),
        "`catalog['price_num']` is missing (NaN) in every row: nothing was converted from `catalog['price']`, "
        "whose values look like '$1,234.50', '$10.00'; they hold characters no number has ('$', ','): remove "
        "them before converting",
        "`catalog['price_num']` is missing (NaN) in every row: nothing was converted from `catalog['price']`, "
        "whose values look like '$1,234.50', '$10.00'; they hold characters no number has ('$', ',')",
    ),  # fmt: skip
    (
        Finding(Kind.FAILED_CONVERSION, "t['d']", {"source": "t['s']", "first": "'x', 'y'", "strange": ""}),
        "`t['d']` is missing (NaN) in every row: nothing was converted from `t['s']`, whose values look like "
        "'x', 'y'",
        None,
    ),
    (
        Finding(Kind.MISREAD_SEPARATOR, "trips", {"separator": "';'"}),
        "the column names of `trips` contain ';': its file is separated by ';' and was not read that way",
        None,
    ),
    (
        Finding(Kind.REPLACES_DATA, "contacts", {"description": CONTACTS}),
        "it would replace your `contacts` (DataFrame 3×2 columns: 'email' str, 'n' int64) with values written "
        "into the code; use the `contacts` that is there",
        "it would replace your `contacts` (DataFrame 3×2 columns: 'email' str, 'n' int64) with values written "
        "into the code",
    ),
    (
        Finding(Kind.MENTIONED_UNDEFINED, "price"),
        "the request mentions `price`; nothing of that name was defined (if it is asked for, the round did not "
        "make it)",
        None,
    ),
    (
        Finding(Kind.NAN_RESULT, "mean_qty"),
        "`mean_qty` is nan: the values it was computed from are missing or were not numbers",
        None,
    ),
    (Finding(Kind.ALL_MISSING, "col_means"), "every value of `col_means` is missing (NaN)", None),
    (
        Finding(
            Kind.INPUT_RAISED,
            "parse_duration('1h30m')",
            {"error": "ValueError: invalid literal for int() with base 10: '1h30'", "input": "'1h30m'"},
        ),
        "parse_duration('1h30m') raised ValueError: invalid literal for int() with base 10: '1h30'; the "
        "request shows '1h30m' as an input it takes",
        None,
    ),  # fmt: skip
    (
        Finding(
            Kind.INPUTS_GIVE_NOTHING,
            "parse_duration",
            {
                "returned": "0",
                "calls": "parse_duration('1h30m'), parse_duration('45m'), parse_duration('2h'), parse_duration('1h5m30s')",
            },
        ),
        "parse_duration('1h30m'), parse_duration('45m'), parse_duration('2h'), parse_duration('1h5m30s') all "
        "returned 0: the function gives nothing for the inputs the request shows; make it handle them",
        "parse_duration('1h30m'), parse_duration('45m'), parse_duration('2h'), parse_duration('1h5m30s') all "
        "returned 0: the function gives nothing for the inputs the request shows",
    ),  # fmt: skip
    (
        Finding(Kind.EMPTY_COLUMN, "df['new']"),
        "`df['new']` is missing (NaN) in every row",
        None,
    ),
    (
        Finding(
            Kind.LOSSY_MERGE,
            "people['name']",
            {
                "left": "people",
                "right": "salaries",
                "key": "'name'",
                "count": 2,
                "ours": "'Ann Lee'",
                "theirs": "'ann lee'",
            },
        ),
        "merging `people` and `salaries` on 'name': 2 of `people`'s keys match `salaries`'s only when case and "
        "spaces are ignored ('Ann Lee' vs 'ann lee'), so their rows were lost or left unmatched: normalize "
        "both key columns (e.g. .str.strip().str.lower()) and merge again",
        "merging `people` and `salaries` on 'name': 2 of `people`'s keys match `salaries`'s only when case and "
        "spaces are ignored ('Ann Lee' vs 'ann lee'), so their rows were lost or left unmatched",
    ),  # fmt: skip
    (
        Finding(Kind.LEFT_OUT, "contacts", {"lines": "lines 1-2", "same": False, "description": CONTACTS}),
        "lines 1-2 left out: `contacts = ...` would replace your `contacts` (DataFrame 3×2 columns: 'email' "
        "str, 'n' int64) with values written into the code; the rest ran on your `contacts`",
        None,
    ),
    (
        Finding(Kind.LEFT_OUT, "lat", {"lines": "line 1", "same": True, "description": "ndarray 2×3"}),
        "line 1 left out: `lat = ...` writes out again the values your `lat` holds; the rest ran on your `lat`",
        None,
    ),
]


@pytest.mark.parametrize("finding, model, people", CASES, ids=lambda case: getattr(case, "kind", None))
def test_each_finding_reads_to_the_model_and_to_people(finding, model, people):
    assert for_model(finding) == model
    assert for_people(finding) == (people or model)
    assert model.startswith(for_people(finding))  # people read what was found; the model also what to do


def test_every_kind_has_its_sentences():
    assert {case[0].kind for case in CASES} == set(Kind)


def test_a_record_is_json_with_its_kind_facts_and_text():
    found = Finding(Kind.NOT_INDEXED, "monthly_visits", {"by": "month number"})
    record = json.loads(json.dumps(as_record([found])))
    assert record == [
        {
            "kind": "not indexed",
            "subject": "monthly_visits",
            "facts": {"by": "month number"},
            "text": for_people(found),
        }
    ]
