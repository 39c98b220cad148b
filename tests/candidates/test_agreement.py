"""Comparing what candidates computed, on real values: tables up to dtype and (where no order is asked)
row order, floats within tolerance, plots by their data, printed numbers; and grouping by agreement."""

import math

import numpy as np
import pandas as pd

from oci_magic.candidates.agreement import agree, asks_for_order, group
from oci_magic.candidates.trial import Trial
from oci_magic.candidates.values import Opaque, comparable, same, same_text


def ran(printed: str = "", changed=(), **values) -> Trial:
    trial = Trial(ok=True, printed=printed, changed_names=list(changed))
    for key, value in values.items():
        name = key if key in ("last", "figures") else f"name:{key}"
        trial.values[name] = comparable(value)
        if key not in ("last", "figures") and key not in changed:
            trial.new_names.append(key)
    return trial


def test_tables_equal_up_to_dtype_and_float_noise():
    a = pd.DataFrame({"city": ["a", "b"], "total": [1, 2]})
    b = pd.DataFrame({"city": ["a", "b"], "total": [1.0, 2.0 + 1e-12]})
    assert same(a, b)
    assert not same(a, pd.DataFrame({"city": ["a", "b"], "total": [1.0, 2.1]}))
    assert same(a, b[["total", "city"]])  # columns in another order: the same table


def test_row_order_counts_only_when_the_request_asks_for_one():
    a = pd.DataFrame({"k": [1, 2, 3], "v": [3.0, 1.0, 2.0]})
    shuffled = a.iloc[[2, 0, 1]]
    assert not same(a, shuffled, ordered=True)
    assert same(a, shuffled, ordered=False)
    # The index is part of a row: a grouped result keyed by its index differs when the keys differ.
    assert not same(a.set_index("k"), a.set_index("k").set_axis([7, 8, 9]), ordered=False)
    assert asks_for_order("sort the cities by total") and asks_for_order("the top 5 customers")
    assert not asks_for_order("total sales per city")


def test_series_and_arrays_and_numbers():
    assert same(comparable(pd.Series([1.0, 2.0], name="x")), comparable(pd.Series([1, 2], name="y")))
    assert not same(comparable(pd.Series([1, 2])), comparable(np.array([1, 2])))  # a Series is not an array
    assert same(comparable(np.array([0.1 + 0.2, math.nan])), comparable(np.array([0.3, math.nan])))
    assert not same(comparable(np.array([1, 2])), comparable(np.array([[1, 2]])))
    assert same(comparable(np.float32(0.5)), 0.5) and same(comparable(np.int64(3)), 3)
    assert same(comparable({"a": [1, (2, 3)]}), comparable({"a": [1, [2, 3]]}))
    assert not same(comparable({"a": 1}), comparable({"b": 1}))
    assert comparable(len) is None and comparable(np) is None  # a function, a module: no result


def test_objects_compare_by_their_repr_without_addresses():
    class Thing:
        pass

    a, b = comparable(Thing()), comparable(Thing())
    assert isinstance(a, Opaque) and "0x" not in a[1] and same(a, b)


def test_printed_text_compares_its_numbers():
    assert same_text("mean: 3.5\n", "The mean is 3.50")
    assert not same_text("mean: 3.5", "mean: 3.6")
    assert not same_text("1 2 3", "1 2")
    assert same_text("done", " done ") and not same_text("yes", "no")


def test_agreement_on_what_the_request_asks_for():
    request = "put the average price per city in `result`"
    a = ran(result=pd.Series([1.5, 2.0], index=["x", "y"]), tmp=1)
    b = ran(printed="ok\n", result=pd.Series([1.5, 2.0], index=["x", "y"]), helper=[1, 2])
    c = ran(result=pd.Series([1.5, 2.5], index=["x", "y"]))
    assert agree(a, b, request)  # helpers and prints aside, the same `result`
    assert not agree(a, c, request)
    # A candidate that changes the user's data agrees only with one that changes it the same way.
    d = ran(changed=["df"], df=pd.DataFrame({"a": [1]}), result=pd.Series([1.5, 2.0], index=["x", "y"]))
    assert not agree(a, d, request)
    # Where both print, the prints must agree too.
    e = ran(printed="1.5 2.0", result=pd.Series([1.5, 2.0], index=["x", "y"]))
    f = ran(printed="1.5 9.0", result=pd.Series([1.5, 2.0], index=["x", "y"]))
    assert not agree(e, f, request)


def test_nothing_to_compare_is_no_agreement():
    request = "define a helper function"
    assert not agree(ran(), ran(), request)
    assert not agree(Trial(ok=False, error="boom"), Trial(ok=False, error="boom"), request)
    # No named result: the names both defined are compared.
    assert agree(ran(total=3), ran(total=3.0, other=1), request)


def test_plots_agree_by_their_data():
    a = ran(figures=[[[("line", [1.0, 2.0], [3.0, 4.0])]]])
    b = ran(figures=[[[("line", [1.0, 2.0], [3.0, 4.0])]]])
    c = ran(figures=[[[("line", [1.0, 2.0], [3.0, 5.0])]]])
    assert agree(a, b, "plot y against x") and not agree(a, c, "plot y against x")


def test_the_largest_group_is_chosen_and_ties_go_to_the_greedy_reply():
    request = "compute `result`"
    right, wrong = ran(result=2), ran(result=3)
    failed = Trial(ok=False, error="ZeroDivisionError")
    chosen = group([wrong, right, failed, right], request)
    assert chosen.chosen == 1 and chosen.groups == [[1, 3], [0]] and chosen.agreed
    assert chosen.words() == "2 of 4 candidates agree"
    tie = group([wrong, right, wrong, right], request)
    assert tie.chosen == 0 and not tie.agreed and tie.words() == "the 4 candidates disagree"
    alone = group([right, failed, failed], request)
    assert alone.chosen == 0 and not alone.agreed and alone.words() == "1 of 3 candidates ran in its trial"
    none = group([failed, failed], request)
    assert none.chosen == 0 and none.words() == "none of the 2 candidates ran in its trial"
