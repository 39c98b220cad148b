"""Runtime-state feedback: real errors raised by real code in a real IPython shell (and one in a real kernel),
described as the model is told them."""

import pandas as pd
import pytest

from oci_magic.executors.kernel import KernelExecutor


@pytest.fixture
def run(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    executor = KernelExecutor(shell, show_outputs=False)

    def run_code(code: str):
        result = executor.run(code)
        assert result.error is not None, "the code was meant to fail"
        return result.error

    return run_code


def test_a_missing_column_shows_the_frame_and_the_columns_closest_first(run, shell):
    shell.user_ns["sales"] = pd.DataFrame({"date": ["2024-01-01"], "Region": ["north"], "amount": [10]})
    error = run("total = 0\nby_region = sales.groupby('region')['amount'].sum()")
    feedback = error.feedback
    assert "What the code saw at line 2:\n    by_region = sales.groupby('region')['amount'].sum()" in feedback
    assert "- sales: DataFrame 1×3 columns: 'date' str, 'Region' str, 'amount' int64" in feedback
    assert "0  2024-01-01  north      10" in feedback  # the first row
    # pandas raises from deep inside groupby; the user-level KeyError is explained against the frame's columns
    assert "'region' is not among sales's columns, which are: 'Region', 'date', 'amount'" in feedback
    assert feedback.startswith('Traceback (most recent call last):\n  File "your code", line 2, in <module>')
    assert "frames in pandas ..." in feedback  # library frames collapsed to one line
    assert len(feedback) < len(error.traceback)  # and the user still has the whole traceback


def test_a_key_looked_up_in_an_expression_is_not_blamed_on_a_variable(run, shell):
    shell.user_ns["members"] = pd.DataFrame({"full_name": ["Ada Lovelace", "Grace Brewster Hopper"]})
    feedback = run("members['last'] = members['full_name'].str.split(' ', expand=True)[-1]").feedback
    assert "-1 was looked up in the result of `members['full_name'].str.split(' ', expand=True)`" in feedback
    assert "not among members's columns" not in feedback  # members was never looked up with -1
    # A negative position on label-based []: the fix is .iloc, written out for what was subscripted (a
    # DataFrame's [] takes columns, a Series' [] values).
    assert (
        "pandas' [] looks up labels, not positions, and no label is -1: for positions use .iloc: "
        "`members['full_name'].str.split(' ', expand=True).iloc[:, -1]` is its last column" in feedback
    )
    shell.user_ns["totals"] = pd.Series([3, 5, 8])
    feedback = run("last = totals[-1]").feedback
    assert "-1 is not among totals's index labels" in feedback
    assert "use .iloc: `totals.iloc[-1]` is its last value" in feedback
    # A key of a plain dict is not a pandas label: no .iloc advice.
    shell.user_ns["counts"] = {1: "a"}
    assert ".iloc" not in run("x = counts[-1]").feedback


def test_a_missing_dict_key_lists_the_keys(run, shell):
    shell.user_ns["scores"] = {"ann": [1, 2], "bob": [3]}
    feedback = run("print(scores['Ann'])").feedback
    assert "- scores: dict of 2: {'ann': [1, 2], 'bob': [3]}" in feedback
    assert "'Ann' is not among scores's keys, which are: 'ann', 'bob'" in feedback


def test_a_missing_attribute_names_close_attributes_and_columns(run, shell):
    shell.user_ns["orders"] = pd.DataFrame({"customer_id": [1], "total": [2.0]})
    feedback = run("orders.custmer_id.nunique()").feedback
    assert "its columns are: 'customer_id', 'total'" in feedback
    feedback = run("orders.sort_value('total')").feedback
    assert "DataFrame has no attribute 'sort_value'; close ones: sort_values" in feedback


def test_a_missing_name_names_the_close_ones(run, shell):
    shell.user_ns["revenue_by_month"] = [1, 2]
    feedback = run("print(sum(revenue_by_mnth))").feedback
    assert "'revenue_by_mnth' is not defined; defined names close to it: revenue_by_month" in feedback


def test_a_missing_file_lists_the_folder_and_a_misread_file_is_peeked(run, tmp_path):
    (tmp_path / "sales_2024.csv").write_text("date;amount\n2024-01-01;3\n", encoding="utf-8")
    feedback = run("import pandas as pd\ndf = pd.read_csv('sales2024.csv')").feedback
    assert "'sales2024.csv' does not exist; the working folder has: 'sales_2024.csv'" in feedback
    feedback = run("import pandas as pd\ndf = pd.read_csv('sales_2024.csv')\ndf['amount'].sum()").feedback
    assert "- df: DataFrame 1×1 columns: 'date;amount' str" in feedback
    # the failing line reads no file, but the code read this one two lines before: it is part of what it saw
    assert "Its column names contain ';': the file is separated by ';', not read that way." in feedback
    assert "The file sales_2024.csv holds: text, 25 bytes; separated by ';'; header: date, amount" in feedback
    feedback = run("import pandas as pd\nn = pd.read_csv('sales_2024.csv', header=None)[3]").feedback
    assert "The file sales_2024.csv holds: text, 25 bytes; separated by ';'; header: date, amount" in feedback


def test_the_failing_line_inside_a_function_shows_its_locals(run):
    feedback = run("def mean(xs):\n    return sum(xs) / len(xs)\n\nmean([])").feedback
    assert 'File "your code", line 4, in <module>' in feedback and "line 2, in mean" in feedback
    assert "What the code saw at line 2:\n    return sum(xs) / len(xs)\n- xs: list of 0: []" in feedback


def test_the_state_keeps_to_its_budget_on_huge_values(run, shell):
    wide = pd.DataFrame({f"column_{i}": range(3) for i in range(500)})
    shell.user_ns.update(wide=wide, text="x" * 10**6)
    feedback = run("wide['nope'] + len(text)").feedback
    state = feedback.split("\n\n", 1)[1]
    assert len(state) <= 1200 and state.startswith("What the code saw at line 1:")


def test_a_syntax_error_has_no_state(run):
    error = run("def broken(:\n    pass")
    assert error.feedback is None and error.type == "SyntaxError"


def test_the_model_gets_the_state_and_the_user_the_traceback_in_a_real_kernel():
    from live_kernel import LiveKernel

    kernel = LiveKernel()
    try:
        kernel.load_oci()
        kernel.run(
            "import pandas as pd\n"
            "from helpers import ScriptedBackend\n"
            "import oci_magic\n"
            "sales = pd.DataFrame({'date;region;amount': ['2024-01-01;north;10']})\n"
            "backend = ScriptedBackend(['```python\\nsales.groupby(\"region\").size()\\n```'] * 3)\n"
            "oci_magic.set_backend(backend)"
        )
        reply = kernel.run("%%oci --rounds 2 --no-context\ncount sales per region")
        assert "KeyError: 'region'" in reply.text  # the user sees the error
        feedback = kernel.value("backend.calls[1][-1]['content']")
        assert feedback.startswith("Execution result: \nTraceback (most recent call last):")
        assert "'region' is not among sales's columns, which are: 'date;region;amount'" in feedback
    finally:
        kernel.close()
