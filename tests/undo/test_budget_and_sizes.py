"""The undo budget's setting, and the size of a copy estimated before making it."""

import sys

import numpy as np
import pandas as pd
import pytest

from oci_magic.undo.budget import Budget, parse_budget
from oci_magic.undo.sizes import human, size_of


@pytest.mark.parametrize(
    "text, budget",
    [
        ("25%", Budget(fraction=0.25)),
        (" 10 % ", Budget(fraction=0.10)),
        ("500MB", Budget(size=500 * 2**20)),
        ("2gb", Budget(size=2 * 2**30)),
        ("0", Budget(size=0)),
        ("1024", Budget(size=1024)),
    ],
)
def test_budgets_are_read(text, budget):
    assert parse_budget(text) == budget


@pytest.mark.parametrize("text", ["lots", "-5%", "150%", "5 parsecs", ""])
def test_a_bad_budget_says_how_to_write_one(text):
    with pytest.raises(ValueError, match=r"give a share of free memory \('25%'\) or a size"):
        parse_budget(text)


def test_a_run_gets_its_share_of_free_memory_or_what_is_left_of_a_size():
    assert Budget(fraction=0.25).for_run(free=8000, held=100) == 2000  # held copies already left free memory
    assert Budget(size=1000).for_run(free=8000, held=300) == 700
    assert Budget(size=1000).for_run(free=8000, held=3000) == 0
    assert Budget(fraction=0.25).for_run(free=None, held=0) is None  # free memory unknown: no limit


def test_sizes_come_from_the_libraries_where_they_know():
    frame = pd.DataFrame({"a": np.zeros(1000), "s": ["x" * 10] * 1000})
    assert size_of(frame) == frame.memory_usage(deep=True).sum()
    assert size_of(np.zeros(1000)) == 8000


def test_containers_are_walked_and_long_ones_extrapolated():
    small = [[1, 2], {"k": "v"}]
    assert size_of(small) >= sys.getsizeof(small) + sys.getsizeof(small[0]) + sys.getsizeof(small[1])
    long = [float(i) for i in range(200_000)]
    exact = sys.getsizeof(long) + sum(sys.getsizeof(x) for x in long)
    assert 0.9 * exact <= size_of(long) <= 1.1 * exact


def test_human_sizes():
    assert [human(n) for n in (12, 2048, 5 * 2**20, 3 * 2**30)] == ["12 B", "2.0 kB", "5.0 MB", "3.0 GB"]
