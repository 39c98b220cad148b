"""A round passes only when it did what was asked: each check on real code in the real IPython shell, shown to
fail without the check (result_checks off), and the names a request asks for, including the ones it must not
take for names."""

import pandas as pd
import pytest
from helpers import block, run_both_ways

import oci_magic
from oci_magic.checks.findings import Finding, Kind
from oci_magic.checks.reading import read_request

CONTACTS = "DataFrame 3×2 columns: 'email' str, 'n' int64"  # how the summary describes the tests' contacts


def test_a_result_the_request_names_but_the_code_never_made_goes_back_to_the_model(shell, scripted, capsys):
    baskets = pd.DataFrame({"order": [1, 1, 2], "item": ["a", "b", "c"]})
    replies = [
        block("print(baskets.groupby('order').size())"),
        block("avg_basket = baskets.groupby('order').size().mean()"),
    ]
    request = "Count the items per order in baskets and compute the average basket size into avg_basket."
    run, backend = run_both_ways(shell, scripted, request, replies, {"baskets": baskets})
    assert [r.status for r in run.rounds] == ["incomplete", "passed"] and run.status == "passed"
    assert run.rounds[0].shortfalls == [Finding(Kind.UNDEFINED, "avg_basket")]
    feedback = backend.calls[1][-1]["content"]
    assert feedback.startswith("Execution result: \norder\n1    2")  # what it printed stays
    assert (
        "The code ran without an error, but it did not do what was asked:\n- `avg_basket` is not" in feedback
    )
    assert shell.user_ns["avg_basket"] == 1.5
    out = capsys.readouterr().out
    assert "◐ ran without error but not done: `avg_basket` is not defined" in out


def test_a_guard_that_prints_instead_of_computing_is_not_a_pass(shell, scripted):
    survey = pd.DataFrame({"state": ["done", "open", "done"]})
    guarded = (
        "if 'status' in survey.columns:\n    share = (survey['status'] == 'done').mean()\n"
        "else:\n    print(\"The 'status' column does not exist\")"
    )
    fixed = "share = (survey['state'] == 'done').mean()"
    request = "What share of the survey rows are done? Store it in share."
    run, backend = run_both_ways(shell, scripted, request, [block(guarded), block(fixed)], {"survey": survey})
    assert [r.status for r in run.rounds] == ["incomplete", "passed"]
    printed = "The 'status' column does not exist"
    guarded = Finding(Kind.GUARDED, "share", {"printed": printed})
    assert run.rounds[0].shortfalls == [guarded, Finding(Kind.UNDEFINED, "share")]
    assert "do not guard against it" in backend.calls[1][-1]["content"]
    assert shell.user_ns["share"] == pytest.approx(2 / 3)


def test_an_inplace_result_that_is_none_is_not_an_answer_and_a_nan_result_is_a_note(shell, scripted):
    prices = pd.DataFrame({"p": [3.0, 1.0, 2.0]})
    replies = [
        block("ranked = prices.sort_values('p', inplace=True)"),
        block("ranked = prices.sort_values('p')"),
    ]
    run, _ = run_both_ways(shell, scripted, "Sort prices by p into ranked.", replies, {"prices": prices})
    assert run.rounds[0].shortfalls == [Finding(Kind.NONE_RESULT, "ranked")]
    assert run.status == "passed" and shell.user_ns["ranked"]["p"].tolist() == [1.0, 2.0, 3.0]

    raw = pd.DataFrame({"qty": ["1 kg", "2 kg"]})
    replies = [
        block("mean_qty = pd.to_numeric(raw['qty'], errors='coerce').mean()"),
        block("mean_qty = raw['qty'].str.split().str[0].astype(float).mean()"),
    ]
    shell.user_ns["pd"] = pd
    shell.user_ns["raw"] = raw
    scripted(replies)
    shell.run_cell("%%oci --new\nStore the mean quantity in mean_qty.")
    run = oci_magic.last_run()  # NaN can be the answer (no data to average): a note, not a stop
    assert run.status == "passed" and run.rounds[0].notes == [Finding(Kind.NAN_RESULT, "mean_qty")]


def test_a_new_column_missing_in_every_row_is_a_conversion_that_matched_nothing(shell, scripted):
    catalog = pd.DataFrame({"price": ["$1,234.50", "$10.00"]})
    shell.user_ns["pd"] = pd
    replies = [
        block("catalog['price_num'] = pd.to_numeric(catalog['price'].str.replace(',', ''), errors='coerce')"),
        block("catalog['price_num'] = catalog['price'].str.replace('[$,]', '', regex=True).astype(float)"),
    ]
    request = (
        "The price column of catalog holds strings like '$1,234.50'. Add a numeric column with the number."
    )
    run, _ = run_both_ways(shell, scripted, request, replies, {"catalog": catalog})
    facts = {"source": "catalog['price']", "first": "'$1,234.50', '$10.00'", "strange": "'$', ','"}
    assert run.rounds[0].shortfalls == [Finding(Kind.FAILED_CONVERSION, "catalog['price_num']", facts)]
    assert shell.user_ns["catalog"]["price_num"].tolist() == [1234.5, 10.0]


def test_the_characters_a_conversion_must_remove_are_named_only_for_decorated_numbers():
    from oci_magic.checks.outcome import _not_numeric

    assert _not_numeric(["12 kg", "7.5 kg"]) == "'k', 'g'"
    assert _not_numeric(["45%", "-3%"]) == "'%'"
    assert _not_numeric(["north", "south"]) == ""  # no digits: words, not numbers
    assert _not_numeric(["2024-01-05"]) == ""  # nothing a number lacks
    assert _not_numeric(["order 12 shipped to Paris"]) == ""  # too many: a sentence
    assert _not_numeric([1.5, None]) == ""


def test_in_a_real_kernel_pandas_saying_an_inplace_change_never_happened_is_not_a_pass():
    """ipykernel shows warnings as the user sees them; the check reads what pandas said there."""
    from live_kernel import LiveKernel

    means = "weather.groupby('city')['temp'].transform('mean')"
    replies = [
        block(f"weather['temp'].fillna({means}, inplace=True)"),
        block(f"weather['temp'] = weather['temp'].fillna({means})"),
    ]
    kernel = LiveKernel()
    try:
        kernel.load_oci()
        for checks in (False, True):
            kernel.run(
                "import pandas as pd, numpy as np\nfrom helpers import ScriptedBackend\nimport oci_magic\n"
                "weather = pd.DataFrame({'city': ['a', 'a', 'b'], 'temp': [1.0, np.nan, 3.0]})\n"
                f"backend = ScriptedBackend({replies!r})\noci_magic.set_backend(backend)\n"
                f"%config OciMagics.result_checks = {checks}"
            )
            reply = kernel.run("%%oci --new\nFill the missing temperatures in weather with the city's mean.")
            assert "ChainedAssignmentError" in reply.text  # the user sees pandas' warning
            statuses = kernel.value("[r.status for r in oci_magic.last_run().rounds]")
            assert statuses == (["incomplete", "passed"] if checks else ["passed"])
        assert kernel.value("weather['temp'].tolist()") == [1.0, 1.0, 3.0]
        feedback = kernel.value("backend.calls[1][-1]['content']")
        assert "- pandas warned (ChainedAssignmentError) that an inplace method on a column never" in feedback
    finally:
        kernel.close()


def test_lines_that_would_replace_the_users_data_are_left_out_and_the_rest_runs(shell, scripted, capsys):
    """Models copy the sample a question prints over the user's data, and repeat it however often they are
    told not to. Those lines are left out (commented in the cell, said to the model and the user); the rest
    of the code, usually the answer, runs on the user's data."""
    contacts = pd.DataFrame({"email": ["a@x.org", " A@x.org", "b@x.org"], "n": [1, 2, 3]})
    invented = "contacts = pd.DataFrame({'email': ['ann@x.org', 'ANN@x.org'],\n    'n': [1, 2]})\n"
    answer = "key = contacts['email'].str.strip().str.lower()\nunique_contacts = contacts[~key.duplicated()]"
    shell.user_ns["pd"] = pd
    request = "Keep the first row of each person of contacts (emails differ in case) in unique_contacts."
    run, backend = run_both_ways(shell, scripted, request, [block(invented + answer)], {"contacts": contacts})
    assert [r.status for r in run.rounds] == ["passed"]
    assert run.rounds[0].code == (
        "# left out by oci-magic: the code runs on your data, not on values written here\n"
        "# contacts = pd.DataFrame({'email': ['ann@x.org', 'ANN@x.org'],\n#     'n': [1, 2]})\n" + answer
    )
    facts = {"lines": "lines 1-2", "same": False, "description": CONTACTS}
    assert run.rounds[0].left_out == [Finding(Kind.LEFT_OUT, "contacts", facts)]
    assert run.rounds[0].feedback.startswith(
        "Execution result: \nNot run, because the user's data is already defined:\n- lines 1-2 left out"
    )
    assert shell.user_ns["contacts"]["n"].tolist() == [1, 2, 3]  # the user's data is untouched ...
    assert shell.user_ns["unique_contacts"]["n"].tolist() == [1, 3]  # ... and the answer is computed on it
    assert (
        "○ ran without error, unverified · defined" in (out := capsys.readouterr().out)
        and "lines 1-2 left out" in out
    )
    assert backend.calls[0][-1]["content"].endswith(request)


def test_code_that_would_replace_the_users_data_and_cannot_be_left_out_is_not_run(shell, scripted, capsys):
    contacts = pd.DataFrame({"email": ["a@x.org", " A@x.org", "b@x.org"], "n": [1, 2, 3]})
    # The replacement shares its line with the answer: leaving it out would leave out the answer too.
    invented = "contacts = pd.DataFrame({'email': ['ann@x.org', 'ANN@x.org'], 'n': [1, 2]}); "
    replies = [
        block(invented + "unique_contacts = contacts.drop_duplicates('email')"),
        block(invented + "unique_contacts = contacts.drop_duplicates('email')"),  # the same again
        block(
            "key = contacts['email'].str.strip().str.lower()\nfirst = contacts[~key.duplicated()]\n"
            "unique_contacts = first"
        ),
    ]
    shell.user_ns["pd"] = pd
    request = "Keep the first row of each person of contacts (emails differ in case) in unique_contacts."
    run, backend = run_both_ways(shell, scripted, request, replies, {"contacts": contacts})
    assert [r.status for r in run.rounds] == ["refused", "passed"] and not run.rounds[0].executed
    assert run.rounds[0].shortfalls == [Finding(Kind.REPLACES_DATA, "contacts", {"description": CONTACTS})]
    assert backend.calls[1][-1]["content"].startswith("Execution result: \nThe code was not run:\n- it would")
    # The same code again is not judged again: the model is told, and asked once more.
    assert run.rounds[1].repeat_of == 1
    assert shell.user_ns["contacts"]["n"].tolist() == [1, 2, 3]  # the user's data is untouched
    assert shell.user_ns["unique_contacts"]["n"].tolist() == [1, 3]
    assert "⊗ not run: it would replace your `contacts`" in capsys.readouterr().out
    # Asked for made-up data, new names only, or the user's own values written out again: it runs.
    shell.user_ns["scores"] = {"ann": [71, 80], "bob": [88, 90]}
    copied = "scores = {'ann': [71, 80], 'bob': [88, 90]}\nbest = max(scores, key=lambda k: sum(scores[k]))"
    for request, code in [
        (
            "Rebuild contacts as it is.",
            "contacts = pd.DataFrame({'email': ['a@x.org', ' A@x.org', 'b@x.org'], 'n': [1, 2, 3]})",
        ),
        ("Replace contacts with a small sample of 2 rows.", invented),
        ("Make a list of the weekdays in weekdays.", "weekdays = ['Mon', 'Tue']"),
        ("Which student of scores has the highest total? Store it in best.", copied),
    ]:
        scripted([block(code)])
        shell.run_cell(f"%%oci --new\n{request}")
        assert oci_magic.last_run().status == "passed", request


def test_a_file_read_with_the_wrong_separator_is_not_a_pass(shell, scripted, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trips.csv").write_text("trip;km\n1;5\n2;12\n", encoding="utf-8")
    shell.user_ns["pd"] = pd
    replies = [block("trips = pd.read_csv('trips.csv')"), block("trips = pd.read_csv('trips.csv', sep=';')")]
    run, _ = run_both_ways(shell, scripted, "Read trips.csv into trips.", replies, {})
    assert run.rounds[0].shortfalls == [Finding(Kind.MISREAD_SEPARATOR, "trips", {"separator": "';'"})]
    assert shell.user_ns["trips"]["km"].tolist() == [5, 12]


def test_a_column_the_request_asks_for_is_not_answered_by_a_variable(shell, scripted):
    inv = pd.DataFrame({"qty": [2, 3], "unit_price": [1.5, 2.0]})
    replies = [
        block("inv['total_value'] = inv['qty'] * inv['unit_price']\nvalue = inv['total_value'].sum()"),
        block("inv['value'] = inv['qty'] * inv['unit_price']"),
    ]
    run, _ = run_both_ways(
        shell, scripted, "Add a column called value equal to qty times unit_price.", replies, {"inv": inv}
    )
    assert run.rounds[0].shortfalls == [Finding(Kind.NO_COLUMN, "value")]
    assert shell.user_ns["inv"]["value"].tolist() == [3.0, 6.0]


def test_a_series_the_request_names_is_answered_by_its_own_name(shell, scripted):
    """ "a Series named "total"" asks for the Series' name, not a variable: a right answer keeps it in
    `result` (a false stop before); a Series under another name still goes back to the model."""
    orders = pd.DataFrame({"item": ["pen", "book", "pen"], "qty": [3, 1, 10], "price": [1.5, 12.0, 1.5]})
    request = 'Put in result the amount paid per item as a Series named "total", indexed by item.'
    amounts = "(orders['qty'] * orders['price']).groupby(orders['item']).sum()"
    replies = [block(f"result = {amounts}"), block(f"result = {amounts}.rename('total')")]
    run, _ = run_both_ways(shell, scripted, request, replies, {"orders": orders})
    assert [r.status for r in run.rounds] == ["incomplete", "passed"]
    assert run.rounds[0].shortfalls[0] == Finding(Kind.UNDEFINED, "total")
    assert shell.user_ns["result"].name == "total"
    # Named by its index's level instead: a DataFrame indexed by `total` is an answer too.
    scripted([block(f"result = {amounts}.rename_axis('total').to_frame('amount')")])
    shell.run_cell(f"%%oci --new\n{request}")
    assert oci_magic.last_run().status == "passed"


def test_requests_that_name_no_result_pass_as_before(shell, scripted):
    """A plot, a print, a question: nothing is asked by name, so the first round that runs passes."""
    shell.user_ns["tickets"] = pd.DataFrame({"status": ["open", "done", "open"]})
    for request, code in [
        (
            "Show a bar chart of the number of tickets per status in tickets.",
            "tickets['status'].value_counts()",
        ),
        ("How many tickets are open?", "print((tickets['status'] == 'open').sum())"),
        ("Convert the dates into Excel format and save to CSV.", "print('saved')"),
    ]:
        scripted([block(code)])
        shell.run_cell(f"%%oci --new\n{request}")
        run = oci_magic.last_run()
        assert run.status == "passed" and len(run.rounds) == 1, request


def test_the_same_undone_code_twice_is_not_run_again(shell, scripted):
    backend = scripted([block("x = 1"), block("x = 1"), block("x = 2"), block("answer = 3")])
    shell.run_cell("%%oci\nStore the answer in `answer`.")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["incomplete", "incomplete", "passed"]
    assert run.rounds[1].repeat_of == 1
    # Asked afresh with what went wrong; the run's conversation keeps what happened, for the next round.
    assert "- `answer` is not defined (not as a variable nor as a column)" in backend.calls[2][-1]["content"]
    told = [m["content"] for m in backend.calls[3] if m["role"] == "user"]
    assert any("ran but did not do what was asked (`answer` is not defined" in text for text in told)


def test_a_run_that_ends_undone_says_so_and_names_what_it_defined(shell, scripted, capsys):
    scripted([block("y = 1")] + [block(f"y = {n}") for n in range(2, 4)])
    shell.run_cell("%%oci\nStore the result in result_value.")
    run = oci_magic.last_run()
    assert run.status == "incomplete" and [r.status for r in run.rounds] == ["incomplete"] * 3
    assert run.summary().startswith("ran without error but not done after 3 rounds: `result_value` is not")
    assert run.summary().endswith("defined y")


@pytest.mark.parametrize(
    "request_text, certain, mentioned",
    [
        (
            "Load sales.csv into a DataFrame called sales and compute region_totals.",
            ("sales", "region_totals"),
            (),
        ),
        ("Read trips.csv into trips.", ("trips",), ()),
        ("Join visits and stores into combined (one row per visit).", ("combined",), ()),
        ("Make a DataFrame players from the dict raw_players.", (), ("raw_players",)),
        ("Now add a column called value equal to qty times unit_price.", ("value",), ("unit_price",)),
        ("Write a function slugify(title) that lowercases it.", ("slugify",), ()),
        ("Standardize X into Xn.", ("Xn",), ()),
        ("Split full_name into first and last columns.", ("first", "last"), ("full_name",)),
        ("Split coords into new columns lat, lon and alt.", ("lat", "lon", "alt"), ()),
        ("Store it in `Total`.", ("Total",), ()),
        ("Put the answer in `feature_names` and `X`.", ("feature_names", "X"), ()),
        ("Store the result in result_value.", ("result_value",), ()),
        # Not names: words after "into"/"as"/"column" that are prose, types, files, attributes, code.
        ("Turn every run of spaces into a single '-'.", (), ()),
        ("Convert the dates into Excel format and save it to report_2024.csv.", (), ()),
        ("inventory_raw has a qty column read as text.", (), ("inventory_raw",)),
        ("Use pd.to_datetime and plot sales as a Series indexed by date.", (), ()),
        ("Convert the date and amount columns to numbers.", (), ()),
        ("Complete this:\n```python\ndef add_one(x_value):\n    pass\n```", (), ()),
        # Others' phrasings that stopped correct answers: a type, a noun, a library call, a placeholder.
        ("Convert the date column into datetime.", (), ()),
        ("Put the cleaned rows into a new table.", (), ()),
        ("Clean up the column names of raw", (), ()),
        ("Do it with the pandas apply() method.", (), ()),
        ("What is the mean fare? @mean_fare[mean_fare_value]", (), ()),
        ("I tried value_counts but it counts the wrong thing.", (), ("value_counts",)),
    ],
)
def test_what_a_request_asks_for_and_what_it_only_mentions(request_text, certain, mentioned):
    reading = read_request(request_text)
    assert (reading.certain, reading.mentioned) == (certain, mentioned)


def test_the_users_arrays_written_out_again_run_and_other_values_do_not(shell, scripted):
    """DS-1000 problem 466's situation: the question prints `lat`, `lon`, `val`; code that writes the same
    values out again loses nothing and runs; code that writes other values would replace the user's: when
    those lines cannot be left out, it is not run."""
    import numpy as np

    shell.user_ns.update(
        np=np,
        lat=np.array([[10, 20, 30], [20, 11, 33]]),
        val=np.array([[17.5, 2.25, 11.0], [86.0, 84.5, 1.0]]),
    )
    same = "lat = np.array([[10, 20, 30], [20, 11, 33]])\nval = np.array([[17.5, 2.25, 11], [86, 84.5, 1]])"
    request = "Put the first quantity of each array in a row of `table`."
    scripted([block(same + "\ntable = np.stack([lat.ravel(), val.ravel()], axis=1)")])
    shell.run_cell(f"%%oci --new\n{request}")
    assert [r.status for r in oci_magic.last_run().rounds] == ["passed"]
    # Nothing would be lost, but code that rebuilds its inputs from a printout works on nothing else: the
    # lines are left out all the same, and the rest runs on the user's arrays.
    left_out = oci_magic.last_run().rounds[0].left_out
    assert [(f.kind, f.subject, f.facts["lines"], f.facts["same"]) for f in left_out] == [
        (Kind.LEFT_OUT, "lat", "line 1", True),
        (Kind.LEFT_OUT, "val", "line 2", True),
    ]
    other = "lat = np.array([[1, 2, 3], [4, 5, 6]])\ntable = lat"
    del shell.user_ns["table"]
    scripted([block(other)])
    shell.run_cell(f"%%oci --new\n{request}")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["passed"]
    found = run.rounds[0].left_out[0]
    assert (found.kind, found.subject, found.facts["lines"], found.facts["same"]) == (
        Kind.LEFT_OUT,
        "lat",
        "line 1",
        False,
    )
    assert found.facts["description"].startswith("ndarray")
    assert shell.user_ns["lat"].tolist() == shell.user_ns["table"].tolist() == [[10, 20, 30], [20, 11, 33]]


@pytest.mark.parametrize(
    "request_text, asks",
    [
        ("Replace contacts with a small sample of 2 rows.", True),
        ("Generate random numbers into arr.", True),
        ("Give me a dummy df with 3 rows.", True),
        ("Create a toy DataFrame called df with two columns.", True),
        # People describe their own data with the same words (DS-1000's questions): not an ask.
        ("I have an example data as:\nname v1\nA A1", False),
        ("This is a sample data frame\n    name  v1\n0 A  A1", False),
        ("Here is an example of converting a categorical column into several binary columns.", False),
        ("I want to create a new column called state.\nThe output is as below, for example", False),
    ],
)
def test_a_request_for_made_up_data_is_told_from_one_that_shows_the_users_data(
    shell, scripted, request_text, asks
):
    """Asked for made-up data, code that writes some over the user's runs as written; a question that shows
    its data as "an example" or "this sample" gets its sample line left out and the rest run on its data."""
    shell.user_ns["df"] = pd.DataFrame({"n": [5, 6, 7]})
    scripted([block("df = pd.DataFrame({'n': [1, 2]})\ntotal = int(df['n'].sum())")])
    shell.user_ns["pd"] = pd
    shell.run_cell(f"%%oci --new\n{request_text}\nStore the total in `total`.")
    assert shell.user_ns["total"] == (3 if asks else 18)
    assert bool(oci_magic.last_run().rounds[0].left_out) is not asks
