"""The namespace summary the model reads before a request: the user's variables by name, type and shape
(columns and first rows of a DataFrame), within its limit; nothing private, no modules, no builtins."""

from __future__ import annotations

import math

import pandas as pd

from oci_magic.notebook.summary import describe_value, namespace_summary


def test_what_it_tells_and_what_it_leaves_out():
    sales = pd.DataFrame({"month": ["2024-01", "2024-02"], "revenue": [10.5, 12.0]})
    user_ns = {"sales": sales, "rate": 0.25, "names": ["a", "b"], "_hidden": 1, "math": math, "print": print}
    summary = namespace_summary(user_ns)
    assert "- sales: DataFrame" in summary and "month" in summary and "revenue" in summary
    assert "- rate: float" in summary and "- names: list" in summary
    assert "_hidden" not in summary and "math" not in summary and "print" not in summary


def test_it_stays_within_its_limit_and_says_how_many_it_left_out():
    user_ns = {f"value_{i}": i for i in range(200)}
    summary = namespace_summary(user_ns, limit=300)
    assert len(summary) <= 300 + len("- ... and 200 more")
    assert summary.splitlines()[-1].startswith("- ... and ") and summary.endswith(" more")


def test_a_value_whose_attributes_raise_is_named_by_its_type():
    class Hostile:
        def __getattr__(self, name):
            raise RuntimeError("no")

        def __len__(self):
            raise RuntimeError("no")

        def __repr__(self):
            raise RuntimeError("no")

    assert "- thing: Hostile" in namespace_summary({"thing": Hostile()})
    assert describe_value(pd.Series([1, 2, 3])).startswith("Series")


def test_memory_addresses_are_left_out_so_the_same_notebook_reads_the_same():
    steady = lambda x: x  # noqa: E731 - as the user wrote it
    summary = namespace_summary({"constraints": [{"fun": steady, "type": "eq"}], "handler": object()})
    assert " at 0x" not in summary and "<lambda>" in summary and "'type': 'eq'" in summary
