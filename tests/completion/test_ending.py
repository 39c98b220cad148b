"""Where a suggestion ends, on the shapes of code a notebook cell has."""

import pytest

from oci_magic.completion.ending import cut


def test_inside_a_line_the_suggestion_completes_that_line():
    assert cut("sum()\nprint(totals)", "totals = df.groupby('region')['units'].", "") == ("sum()", True)
    assert cut("sum(", "totals = df.", "") == ("sum(", False)  # still being written


def test_it_never_repeats_the_text_after_the_cursor():
    # The model writes the closing bracket that already follows the cursor.
    assert cut("len(xs))", "return sum(xs) / (", ")") == ("len(xs)", True)
    assert cut("'region')", "df.groupby(", ")\nprint(1)") == ("'region'", True)
    assert cut("axis=1", "df.drop(columns='a', ", ")") == ("axis=1", False)


def test_on_a_line_of_its_own_it_writes_the_statement_and_its_block():
    code = "for name in names:\n    print(name)\nprint('done')\n"
    assert cut(code, "names = ['a', 'b']\n", "") == ("for name in names:\n    print(name)", True)
    assert cut("x = 1\ny = 2\n", "", "") == ("x = 1", True)


def test_a_statement_inside_brackets_goes_on_to_its_closing_line():
    code = "table = pd.DataFrame({\n    'a': [1, 2],\n})\nprint(table)\n"
    assert cut(code, "import pandas as pd\n", "") == ("table = pd.DataFrame({\n    'a': [1, 2],\n})", True)


def test_in_an_indented_block_it_ends_where_the_block_does():
    before = "def mean(xs):\n    if not xs:\n        return 0\n    "
    assert cut("return sum(xs) / len(xs)\n\nprint(mean([1]))", before, "") == (
        "return sum(xs) / len(xs)",
        True,
    )


def test_it_stops_before_the_line_that_already_follows():
    assert cut("x = load()\nprint(x)\n", "", "\nprint(x)\n") == ("x = load()", True)


@pytest.mark.parametrize("text", ["\n", "\n\nx = 1"])
def test_a_suggestion_that_starts_with_a_blank_line_is_empty(text):
    assert cut(text, "x = 1\n", "") == ("", True)
