"""A round that raised nothing also has to agree with what the request says of its results: their kind, their
index, one number where one is asked, a function's examples, merge keys that match. Each check on real code in
the real IPython shell, shown to miss without the checks (result_checks off), then a request that says none of
these things passes as before."""

import ast

import pandas as pd
from helpers import block, run_both_ways

import oci_magic
from oci_magic.checks.expectations import unmet_expectations
from oci_magic.checks.findings import Finding, Kind
from oci_magic.checks.reading import read_request


def test_a_result_asked_to_be_indexed_by_something_that_kept_the_default_index(shell, scripted):
    visits = pd.DataFrame({"date": ["01/02/2024", "15/02/2024", "03/03/2024"]})
    shell.user_ns["pd"] = pd
    replies = [
        block("monthly_visits = visits.groupby('date').size().reset_index(name='visits')"),
        block(
            "monthly_visits = visits.groupby(pd.to_datetime(visits['date'], dayfirst=True).dt.month).size()"
        ),
    ]
    request = "Count the visits per month into monthly_visits, indexed by the month number."
    run, backend = run_both_ways(shell, scripted, request, replies, {"visits": visits})
    assert [r.status for r in run.rounds] == ["incomplete", "passed"]
    assert run.rounds[0].shortfalls == [Finding(Kind.NOT_INDEXED, "monthly_visits", {"by": "month number"})]
    assert "indexed by month number" in backend.calls[1][-1]["content"]
    assert shell.user_ns["monthly_visits"].to_dict() == {2: 2, 3: 1}


def test_a_count_per_group_whose_index_repeats_a_group_was_never_aggregated(shell, scripted):
    visits = pd.DataFrame({"date": ["01/02/2024", "15/02/2024", "03/03/2024"], "month": [2, 2, 3]})
    replies = [
        block(
            "monthly_visits = visits.groupby('date').size().to_frame('n').join(visits.set_index('date'))"
            ".set_index('month')"
        ),  # fmt: skip
        block("monthly_visits = visits.groupby('month').size()"),
    ]
    request = "Count the visits per month into monthly_visits, indexed by the month number."
    run, _ = run_both_ways(shell, scripted, request, replies, {"visits": visits})
    facts = {"label": "2", "times": 2, "rows": 3, "group": "month"}
    assert run.rounds[0].shortfalls == [Finding(Kind.REPEATED_GROUPS, "monthly_visits", facts)]
    assert run.status == "passed" and shell.user_ns["monthly_visits"].to_dict() == {2: 2, 3: 1}


def test_columns_the_request_lists_are_each_asked_for(shell, scripted):
    members = pd.DataFrame({"full_name": ["Ada Lovelace", "Grace Brewster Hopper"]})
    parts = "members['full_name'].str.split(' ', expand=True)"
    replies = [
        block(f"members['first'] = {parts}[0]"),
        block(f"members['first'] = {parts}[0]\nmembers['last'] = members['full_name'].str.split().str[-1]"),
    ]
    request = "Split the full_name column of members into first and last columns."
    run, _ = run_both_ways(shell, scripted, request, replies, {"members": members})
    assert run.rounds[0].shortfalls == [Finding(Kind.NO_COLUMN, "last")]
    assert shell.user_ns["members"]["last"].tolist() == ["Lovelace", "Hopper"]


def test_a_result_of_another_kind_than_the_request_names(shell, scripted):
    sales = pd.DataFrame({"region": ["n", "s", "n"], "amount": [1, 2, 3]})
    replies = [
        block("region_totals = sales.groupby('region', as_index=False)['amount'].sum()"),
        block("region_totals = sales.groupby('region')['amount'].sum()"),
    ]
    request = "Compute the total amount per region as region_totals (a Series indexed by region)."
    run, _ = run_both_ways(shell, scripted, request, replies, {"sales": sales})
    facts = {
        "got": "DataFrame",
        "wanted": "Series",
        "hint": " (one column of it, or a groupby on one column)",
    }
    assert run.rounds[0].shortfalls[0] == Finding(Kind.WRONG_KIND, "region_totals", facts)
    assert run.status == "passed" and shell.user_ns["region_totals"].to_dict() == {"n": 4, "s": 2}


def test_one_number_asked_for_and_many_values_made(shell, scripted):
    orders = pd.DataFrame({"quantity": [1, 2], "price": [2.0, 3.0]})
    replies = [
        block("total_revenue = orders['quantity'] * orders['price'].sum()"),
        block("total_revenue = (orders['quantity'] * orders['price']).sum()"),
    ]
    request = "Compute total_revenue, the sum of quantity times price over all orders."
    run, _ = run_both_ways(shell, scripted, request, replies, {"orders": orders})
    facts = {
        "count": 2,
        "type": "Series",
        "aggregate": "sum of quantity times price over all orders",
        "reduce": ".sum()",
    }
    assert run.rounds[0].shortfalls == [Finding(Kind.NOT_ONE_NUMBER, "total_revenue", facts)]
    assert shell.user_ns["total_revenue"] == 8.0


def test_a_function_is_called_on_the_examples_its_request_gives(shell, scripted, capsys):
    wrong = (
        "def parse_duration(text):\n    parts = text.split()\n    return int(parts[0]) if 'h' in parts else 0"
    )
    raises = "def parse_duration(text):\n    return int(text[:-1]) * 60"
    right = (
        "import re\ndef parse_duration(text):\n    units = {'h': 3600, 'm': 60, 's': 1}\n"
        "    return sum(int(n) * units[u] for n, u in re.findall(r'(\\d+)([hms])', text))"
    )
    request = (
        "Write parse_duration(text) that turns strings like '1h30m', '45m', '2h' or '1h5m30s' into a number "
        "of seconds."
    )
    # Inputs shown "like ..." may be a column's values, not the function's: a note for the user, not a stop.
    calls = "parse_duration('1h30m'), parse_duration('45m'), parse_duration('2h'), parse_duration('1h5m30s')"
    for code, note in [
        (wrong, Finding(Kind.INPUTS_GIVE_NOTHING, "parse_duration", {"calls": calls, "returned": "0"})),
        (
            raises,
            Finding(
                Kind.INPUT_RAISED,
                "parse_duration('1h30m')",
                {"error": "ValueError: invalid literal for int() with base 10: '1h30'", "input": "'1h30m'"},
            ),
        ),
    ]:
        scripted([block(code)])
        shell.run_cell(f"%%oci --new\n{request}")
        run = oci_magic.last_run()
        assert run.status == "passed" and run.rounds[0].notes == [note]
    scripted([block(right)])
    shell.run_cell(f"%%oci --new\n{request}")
    assert oci_magic.last_run().rounds[0].notes == [] and shell.user_ns["parse_duration"]("1h5m30s") == 3930

    # An example with its answer is certain: a wrong answer stops the round.
    replies = [
        block(
            "import re\ndef slugify(title):\n    return re.sub('[^a-z0-9]', '-', title.lower()).strip('-')"
        ),
        block(
            "import re\ndef slugify(title):\n    return re.sub('[^a-z0-9]+', '-', title.lower()).strip('-')"
        ),
    ]
    request = "Write slugify(title); slugify('Hello, World!') should return 'hello-world'."
    run, _ = run_both_ways(shell, scripted, request, replies, {})
    facts = {"returned": "'hello--world'", "expected": "'hello-world'"}
    assert run.rounds[0].shortfalls == [Finding(Kind.EXAMPLE_WRONG, "slugify('Hello, World!')", facts)]
    assert run.status == "passed"


def test_an_example_call_that_never_returns_is_left_unjudged(shell, scripted):
    scripted([block("def wait(text):\n    while True:\n        pass")])
    shell.run_cell("%%oci --new\nWrite wait(text) for inputs such as 'a' and 'b'.")
    assert oci_magic.last_run().status == "passed"


def test_a_merge_whose_keys_differ_only_in_case_and_spaces_is_a_note(shell, scripted, capsys):
    people = pd.DataFrame({"name": ["Ann Lee", "bob ray", "Cy"], "team": ["x", "y", "x"]})
    salaries = pd.DataFrame({"name": ["ann lee", "Bob Ray ", "Cy"], "salary": [1, 2, 3]})
    shell.user_ns["pd"] = pd
    replies = [
        block("staff = pd.merge(people, salaries, on='name')"),
        block(
            "key = lambda s: s.str.strip().str.lower()\n"
            "staff = people.assign(key=key(people['name'])).merge(salaries.assign(key=key(salaries['name']))"
            ".drop(columns='name'), on='key')"
        ),
    ]
    request = "Merge people and salaries on the name into staff, with one row per person."
    run, _ = run_both_ways(shell, scripted, request, replies, {"people": people, "salaries": salaries})
    # The user may want exact keys: shown to them, not fed back as a failure.
    scripted(replies)
    shell.run_cell(f"%%oci --new\n{request}")
    run = oci_magic.last_run()
    facts = {
        "left": "people",
        "right": "salaries",
        "key": "'name'",
        "count": 2,
        "ours": "'Ann Lee'",
        "theirs": "'ann lee'",
    }
    assert run.status == "passed" and run.rounds[0].notes == [
        Finding(Kind.LOSSY_MERGE, "people['name']", facts)
    ]
    assert "to look at: merging `people` and `salaries`" in capsys.readouterr().out


def test_words_that_expect_nothing_of_the_results_check_nothing():
    """Groups ("per", "each") are many numbers; a kind, index or example said of another name is not this
    one's; a merge on keys that match exactly, or that differ by more than case, is left alone."""
    namespace = {
        "totals": pd.Series([1, 2], index=["a", "b"]),
        "counts": pd.DataFrame({"n": [1, 2]}),
        "frame": pd.DataFrame({"k": ["a", "b"]}),
        "other": pd.DataFrame({"k": ["a", "c"]}),
        "sizes": [1, 2],
    }
    for request, code in [
        ("Compute the total amount per region as totals.", ""),
        ("Store the number of orders of each customer in counts.", ""),
        ("Put the sizes into sizes, and make region_totals (a Series indexed by region).", ""),
        ("Merge frame and other on k into counts.", "counts = frame.merge(other, on='k')"),
        ("Make a list called sizes.", ""),
    ]:
        asked = read_request(request).names
        misses, _ = unmet_expectations(request, asked, namespace, ast.parse(code), set(asked))
        assert misses == [], request
