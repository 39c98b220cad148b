"""What a round defined or changed, kept as names with their descriptions, and shown capped."""

from __future__ import annotations

import pandas as pd

from oci_magic.notebook.changes import SHOWN, Defined, changes, listed, snapshot


def test_new_rebound_and_changed_in_place_names_and_nothing_else():
    namespace = {"sales": pd.DataFrame({"amount": [1, 2]}), "kept": [1, 2], "rate": 1}
    before = snapshot(namespace)
    namespace["sales"]["double"] = namespace["sales"]["amount"] * 2  # in place: its columns changed
    namespace["rate"] = 2  # rebound
    namespace["total"] = 6  # new
    found = {item.name: item for item in changes(before, namespace)}
    assert set(found) == {"sales", "rate", "total"}
    assert found["sales"].changed and found["rate"].changed and not found["total"].changed
    assert str(found["total"]) == "total: int = 6"


def test_the_line_lists_the_first_names_and_counts_the_rest():
    defined = [Defined(f"v{i}", "int = 1") for i in range(SHOWN + 3)]
    assert listed(defined, names_only=True).endswith("v11, … and 3 more")
    assert listed(defined[:1]) == "v0: int = 1" and listed([]) == ""
