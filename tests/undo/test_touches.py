"""What code may change in place, and what it does outside the namespace, read from the code before it runs.
The namespace holds real objects: which calls change their arguments depends on what the names are."""

import numpy as np
import pandas as pd
import pytest

from oci_magic.undo.touches import EffectKind, can_change_in_place, touches


@pytest.fixture
def namespace():
    import os
    import pathlib
    import random

    return {
        "pd": pd,
        "np": np,
        "os": os,
        "random": random,
        "pathlib": pathlib,
        "df": pd.DataFrame({"a": [1, 2]}),
        "arr": np.arange(4),
        "items": [3, 1, 2],
        "config": {"k": [1]},
        "count": 5,
        "name": "text",
        "path": pathlib.Path("x.txt"),
        "clean": lambda frame: frame,  # a user's function: it may change what it is given
    }


@pytest.mark.parametrize(
    "code, changed",
    [
        ("df['b'] = df['a'] * 2", {"df"}),
        ("df.loc[0, 'a'] = 9", {"df"}),
        ("df.drop(columns=['a'], inplace=True)", {"df"}),
        ("df['a'].fillna(0, inplace=True)", {"df"}),
        ("del df['a']", {"df"}),
        ("items.append(4)", {"items"}),
        ("items.sort()", {"items"}),
        ("config['k'].append(2)", {"config"}),  # a nested object: the copy is of `config`
        ("config.update(x=1)", {"config"}),
        ("arr[0] = 7", {"arr"}),
        ("arr += 1", {"arr"}),
        ("arr.fill(0)", {"arr"}),
        ("np.random.shuffle(arr)", {"arr"}),
        ("random.shuffle(items)", {"items"}),
        ("clean(df)", {"df"}),
        ("def f(frame):\n    frame['c'] = 1\nf(df)", {"df"}),
        ("first, items[0] = 1, 2", {"items"}),
    ],
)
def test_in_place_changes_are_found(namespace, code, changed):
    assert set(touches(code, namespace).in_place) == changed


@pytest.mark.parametrize(
    "code",
    [
        "df = df.drop(columns=['a'])",  # rebinding: a reference is enough
        "total = df['a'].sum()\nprint(df.head(), len(items), sorted(items))",
        "result = pd.concat([df, df])\nnp.mean(arr)",
        "df.drop(columns=['a'], inplace=False)",
        "count += 1\nname = name.upper()",  # immutable: nothing to copy
        "new = []\nnew.append(1)",  # a name the code makes itself
        "import matplotlib.pyplot as plt\nplt.plot(arr)",
        "syntax error (",
    ],
)
def test_reading_and_rebinding_need_no_copy(namespace, code):
    assert touches(code, namespace).in_place == {}


@pytest.mark.parametrize(
    "code, kind, what",
    [
        ("df.to_csv('out.csv')", EffectKind.WRITES_FILE, "`df.to_csv('out.csv')` (line 1)"),
        (
            "with open('log.txt', 'w') as f:\n    f.write('x')",
            EffectKind.WRITES_FILE,
            "`open('log.txt', 'w')` (line 1)",
        ),
        ("os.remove('old.csv')", EffectKind.CHANGES_FILES, "`os.remove('old.csv')` (line 1)"),
        ("path.unlink()", EffectKind.CHANGES_FILES, "`path.unlink()` (line 1)"),
        (
            "get_ipython().run_line_magic('pip', 'install seaborn')",
            EffectKind.INSTALLS_PACKAGES,
            "%pip install seaborn",
        ),
        ("get_ipython().system('rm -rf build')", EffectKind.RUNS_COMMAND, "!rm -rf build"),
        (
            "import subprocess\nsubprocess.run(['ls'])",
            EffectKind.RUNS_COMMAND,
            "`subprocess.run(['ls'])` (line 2)",
        ),
        ("import requests\nrequests.get('https://example.com')", EffectKind.USES_NETWORK, None),
        ("frame = pd.read_csv('https://example.com/a.csv')", EffectKind.USES_NETWORK, None),
    ],
)
def test_what_undo_cannot_take_back_is_named(namespace, code, kind, what):
    (found,) = touches(code, namespace).outside
    assert found.kind is kind and (what is None or found.what == what)
    assert str(found) == f"{kind}: {found.what}"  # as the undo report says it


def test_reading_files_and_changing_containers_are_not_outside(namespace):
    code = (
        "frame = pd.read_csv('a.csv')\nwith open('a.csv') as f:\n    f.read()\n"
        "items.remove(3)\nname.replace('t', 'x')"
    )
    assert touches(code, namespace).outside == []


def test_what_cannot_change_in_place():
    assert not any(map(can_change_in_place, [1, 2.5, "s", b"b", None, True, pd, len, pd.DataFrame]))
    assert all(map(can_change_in_place, [[1], {"a": 1}, {1}, pd.DataFrame(), np.arange(2), (1, [2])]))


@pytest.mark.parametrize(
    "code",
    [
        "for row in arr:\n    row[0] = 0",  # a loop over the object binds its parts
        "for a, b in zip(items, arr):\n    a.append(1)",
        "part = config['k']\npart.append(2)",  # a name bound to a part of it
    ],
)
def test_changes_through_a_name_bound_to_a_part_of_an_object(namespace, code):
    assert touches(code, namespace).in_place


def test_a_method_of_a_part_of_an_object_is_judged_by_the_whole():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    ax.plot([1, 2])
    namespace = {"ax": ax, "df": pd.DataFrame({"a": [1]})}
    assert set(touches("ax.lines[0].set_linestyle('dashed')", namespace).in_place) == {"ax"}
    assert touches("df['a'].sum()", namespace).in_place == {}  # pandas: only its changing methods
    plt.close(figure)
