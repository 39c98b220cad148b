"""What the model sees around the cursor, built from real notebooks (the examples)."""

from pathlib import Path

import nbformat

from oci_magic.completion.prompt import CELL_SEPARATOR, Around, fill_in

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def words(text: str) -> int:
    return len(text.split())


def code_cells(name: str) -> list[str]:
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def test_the_cells_above_come_nearest_first_within_the_budget_then_in_notebook_order():
    cells = code_cells("quickstart.ipynb")
    current, above = cells[-1], cells[:-1][::-1]  # the last cell, the others nearest first
    cursor = len(current) // 2
    around = Around(before=current[:cursor], after=current[cursor:], above=above)
    before, after = fill_in(around, words, budget=10_000)
    assert after == current[cursor:] and before.endswith(current[:cursor])
    assert before == CELL_SEPARATOR.join(cells[:-1]) + CELL_SEPARATOR + current[:cursor]  # all fit
    # A budget that holds the nearest cell only: the farther ones are left out, never the nearest.
    nearest = words(current[:cursor]) + words(current[cursor:]) + words(above[0] + CELL_SEPARATOR)
    before, _ = fill_in(around, words, budget=nearest)
    assert before == above[0] + CELL_SEPARATOR + current[:cursor]


def test_the_variables_come_first_as_a_comment():
    around = Around(
        before="df.", above=("import pandas as pd",), variables="- df: DataFrame 3 rows x 2 columns"
    )
    before, _ = fill_in(around, words, budget=1000)
    assert before == (
        "# Variables in this notebook:\n# - df: DataFrame 3 rows x 2 columns\n\nimport pandas as pd\n\ndf."
    )


def test_a_cell_longer_than_the_budget_keeps_what_is_nearest_the_cursor():
    long = "\n".join(f"value_{i} = {i}" for i in range(500))
    before, after = fill_in(Around(before=long, after="\nprint(1)", above=("x = 1",)), words, budget=100)
    assert long.endswith(before) and len(before) < len(long) and "x = 1" not in before
