"""Problems in DS-1000's format, written for these tests: the same fields as DS-1000's test.jsonl (prompt,
reference_code, code_context with its test program, metadata), with questions and data of our own. They
test the DS-1000 harness's mechanics anywhere: DS-1000 itself is not part of the repository (the tests
on its real problems run where a copy is given: `pytest --ds1000-data PATH`).

Each one stands for a kind of problem the harness must handle:
  0  Pandas, `result = ...`, two test cases and a string test (no loop)
  1  Pandas, the answer is the body of `def f(df):`, which the test calls
  2  Numpy, a function whose first body line the test writes (`limit = 10`): it is shown in the request
  3  Matplotlib, a plot asked for in comments, judged from the figure
  4  Pandas, a reference written for pandas 1.5 (`DataFrame.append`), which fails its test today
  5  Pandas, inputs read from a file that only the test program writes
  6  Tensorflow, a library the test environment does not install
  7  Numpy, a test that an empty answer passes
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

_PANDAS_HEAD = r"""import pandas as pd
import numpy as np
import copy
"""

_STRING_TEST = r"""

def test_string(solution: str):
    tokens = []
    for token in tokenize.tokenize(io.BytesIO(solution.encode("utf-8")).readline):
        tokens.append(token.string)
    assert "for" not in tokens and "while" not in tokens
"""


def _test_execution(cases: int, *, before: str = "") -> str:
    return (
        "\n\ndef test_execution(solution: str):\n"
        f"{before}"
        '    code = exec_context.replace("[insert]", solution)\n'
        f"    for i in range({cases}):\n"
        "        test_input, expected_result = generate_test_case(i + 1)\n"
        '        test_env = {"test_input": test_input}\n'
        "        exec(code, test_env)\n"
        '        assert exec_test(test_env["result"], expected_result)\n'
    )


ORDERS = {
    "prompt": r"""Problem:
I keep a table of a shop's orders:
   order  item  qty  price
0    101   pen    3    1.5
1    102  book    1   12.0
2    103   pen   10    1.5
3    104  lamp    2   30.0
4    105  book    5   12.0


I want the total amount paid per item (qty times price), largest first, as a Series named "total"
indexed by item.
For the table above that is:
item
book    72.0
lamp    60.0
pen     19.5
Name: total, dtype: float64

How do I do this without a loop?


A:
<code>
import pandas as pd


orders = pd.DataFrame({'order': [101, 102, 103, 104, 105],
                       'item': ['pen', 'book', 'pen', 'lamp', 'book'],
                       'qty': [3, 1, 10, 2, 5],
                       'price': [1.5, 12.0, 1.5, 30.0, 12.0]})
</code>
result = ... # put solution in this variable
BEGIN SOLUTION
<code>
""",
    "reference_code": r"""def g(orders):
    total = (orders["qty"] * orders["price"]).groupby(orders["item"]).sum()
    return total.sort_values(ascending=False).rename("total")

result = g(orders.copy())
""",
    "code_context": _PANDAS_HEAD
    + r'''import tokenize, io


def generate_test_case(test_case_id):
    def generate_ans(data):
        orders = data
        total = (orders["qty"] * orders["price"]).groupby(orders["item"]).sum()
        return total.sort_values(ascending=False).rename("total")

    def define_test_input(test_case_id):
        if test_case_id == 1:
            orders = pd.DataFrame(
                {
                    "order": [101, 102, 103, 104, 105],
                    "item": ["pen", "book", "pen", "lamp", "book"],
                    "qty": [3, 1, 10, 2, 5],
                    "price": [1.5, 12.0, 1.5, 30.0, 12.0],
                }
            )
        if test_case_id == 2:
            orders = pd.DataFrame(
                {
                    "order": [7, 8, 9, 10],
                    "item": ["cup", "cup", "tea", "jam"],
                    "qty": [1, 2, 40, 3],
                    "price": [4.0, 4.0, 0.25, 2.5],
                }
            )
        return orders

    test_input = define_test_input(test_case_id)
    expected_result = generate_ans(copy.deepcopy(test_input))
    return test_input, expected_result


def exec_test(result, ans):
    try:
        pd.testing.assert_series_equal(result, ans, check_dtype=False)
        return 1
    except:
        return 0


exec_context = r"""
import pandas as pd
import numpy as np
orders = test_input
[insert]
"""
'''
    + _test_execution(2)
    + _STRING_TEST,
    "metadata": {"library": "Pandas", "test_case_cnt": 2, "perturbation_type": "Origin"},
}

SENSORS = {
    "prompt": r"""Problem:
I have readings of several sensors, one row per reading:
  sensor  value
0      a    1.0
1      a    NaN
2      b    4.0
3      b    6.0
4      a    3.0

I'd like to fill each missing value with the mean of the same sensor's readings, so the NaN of sensor a
becomes 2.0.
The other columns and the order of the rows stay as they are.


A:
<code>
import pandas as pd
import numpy as np

example_df = pd.DataFrame({'sensor': ['a', 'a', 'b', 'b', 'a'],
                           'value': [1.0, np.nan, 4.0, 6.0, 3.0]})
def f(df=example_df):
    # return the solution in this function
    # result = f(df)
    ### BEGIN SOLUTION""",
    "reference_code": r"""    result = df.copy()
    means = result.groupby("sensor")["value"].transform("mean")
    result["value"] = result["value"].fillna(means)

    return result
""",
    "code_context": _PANDAS_HEAD
    + r'''

def generate_test_case(test_case_id):
    def generate_ans(data):
        df = data
        df["value"] = df["value"].fillna(df.groupby("sensor")["value"].transform("mean"))
        return df

    def define_test_input(test_case_id):
        if test_case_id == 1:
            df = pd.DataFrame(
                {"sensor": ["a", "a", "b", "b", "a"], "value": [1.0, np.nan, 4.0, 6.0, 3.0]}
            )
        if test_case_id == 2:
            df = pd.DataFrame(
                {
                    "sensor": ["x", "y", "x", "y", "y", "x"],
                    "value": [np.nan, 10.0, 2.0, np.nan, 20.0, 4.0],
                }
            )
        return df

    test_input = define_test_input(test_case_id)
    expected_result = generate_ans(copy.deepcopy(test_input))
    return test_input, expected_result


def exec_test(result, ans):
    try:
        pd.testing.assert_frame_equal(result, ans, check_dtype=False)
        return 1
    except:
        return 0


exec_context = r"""
import pandas as pd
import numpy as np
def f(df):
[insert]
df = test_input
result = f(df)
"""
'''
    + _test_execution(2),
    "metadata": {"library": "Pandas", "test_case_cnt": 2, "perturbation_type": "Surface"},
}

RUNS = {
    "prompt": r"""Problem:
I sample a signal once a second into a 1-d numpy array. I need the lengths of the runs of consecutive samples
above a limit, in order. With limit 10,
a = np.array([3, 12, 15, 4, 11, 20, 30, 2])
gives [2, 3].

A:
<code>
import numpy as np
example_a = np.array([3, 12, 15, 4, 11, 20, 30, 2])
def f(a = example_a):
    limit = 10
    # return the solution in this function
    # result = f(a)
    ### BEGIN SOLUTION""",
    "reference_code": r"""    above = np.concatenate(([0], (a > limit).astype(int), [0]))
    edges = np.flatnonzero(np.diff(above))
    result = (edges[1::2] - edges[::2]).tolist()

    return result
""",
    "code_context": r'''import numpy as np
import copy


def generate_test_case(test_case_id):
    def define_test_input(test_case_id):
        if test_case_id == 1:
            a = np.array([3, 12, 15, 4, 11, 20, 30, 2])
        if test_case_id == 2:
            a = np.random.RandomState(3).randint(0, 20, size=60)
        return a

    def generate_ans(data):
        lengths, count = [], 0
        for value in data:
            if value > 10:
                count += 1
            elif count:
                lengths.append(count)
                count = 0
        if count:
            lengths.append(count)
        return lengths

    test_input = define_test_input(test_case_id)
    expected_result = generate_ans(copy.deepcopy(test_input))
    return test_input, expected_result


def exec_test(result, ans):
    np.testing.assert_array_equal(result, ans)
    return 1


exec_context = r"""
import numpy as np
def f(a):
    limit = 10
[insert]
a = test_input
result = f(a)
"""
'''
    + _test_execution(2),
    "metadata": {"library": "Numpy", "test_case_cnt": 2, "perturbation_type": "Semantic"},
}

RAIN = {
    "prompt": r"""import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

days = np.arange(1, 8)
rain = np.array([0.0, 2.5, 11.0, 4.0, 0.0, 0.5, 7.5])

# draw rain against days as a bar chart
# give it the title "Rain per day"
# SOLUTION START
""",
    "reference_code": r"""plt.bar(days, rain)
plt.title("Rain per day")
""",
    "code_context": r'''import numpy as np
import matplotlib.pyplot as plt
from PIL import Image


def skip_plt_cmds(l):
    return all(
        p not in l for p in ["plt.show()", "plt.clf()", "plt.close()", "savefig"]
    )


def generate_test_case(test_case_id):
    days = np.arange(1, 8)
    rain = np.array([0.0, 2.5, 11.0, 4.0, 0.0, 0.5, 7.5])
    plt.bar(days, rain)
    plt.title("Rain per day")
    plt.savefig("ans.png", bbox_inches="tight")
    plt.close()
    return None, None


def exec_test(result, ans):
    code_img = np.array(Image.open("output.png"))
    oracle_img = np.array(Image.open("ans.png"))
    sample_image_stat = code_img.shape == oracle_img.shape and np.allclose(
        code_img, oracle_img
    )
    if not sample_image_stat:
        ax = plt.gca()
        assert ax.get_title() == "Rain per day"
        heights = sorted(bar.get_height() for bar in ax.patches)
        assert np.allclose(heights, [0.0, 0.0, 0.5, 2.5, 4.0, 7.5, 11.0])
    return 1


exec_context = r"""
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
days = np.arange(1, 8)
rain = np.array([0.0, 2.5, 11.0, 4.0, 0.0, 0.5, 7.5])
[insert]
plt.savefig('output.png', bbox_inches ='tight')
result = None
"""


def test_execution(solution: str):
    solution = "\n".join(filter(skip_plt_cmds, solution.split("\n")))
    code = exec_context.replace("[insert]", solution)
    for i in range(1):
        test_input, expected_result = generate_test_case(i + 1)
        test_env = {"test_input": test_input}
        exec(code, test_env)
        assert exec_test(test_env["result"], expected_result)
''',
    "metadata": {"library": "Matplotlib", "test_case_cnt": 1, "perturbation_type": "Origin"},
}

TOTAL_ROW = {
    "prompt": r"""Problem:
I have a frame of amounts per name and want one more row at the bottom, named "total", holding the sum.

A:
<code>
import pandas as pd
df = pd.DataFrame({'name': ['ann', 'bob'], 'amount': [3, 4]})
</code>
result = ... # put solution in this variable
BEGIN SOLUTION
<code>
""",
    # Written for pandas 1.5: DataFrame.append was removed in pandas 2.0.
    "reference_code": r"""total = {"name": "total", "amount": df["amount"].sum()}
result = df.append(total, ignore_index=True)
""",
    "code_context": _PANDAS_HEAD
    + r'''

def generate_test_case(test_case_id):
    def generate_ans(data):
        df = data
        total = pd.DataFrame({"name": ["total"], "amount": [df["amount"].sum()]})
        return pd.concat([df, total], ignore_index=True)

    def define_test_input(test_case_id):
        df = pd.DataFrame({"name": ["ann", "bob"], "amount": [3, 4]})
        return df

    test_input = define_test_input(test_case_id)
    expected_result = generate_ans(copy.deepcopy(test_input))
    return test_input, expected_result


def exec_test(result, ans):
    pd.testing.assert_frame_equal(result, ans, check_dtype=False)
    return 1


exec_context = r"""
import pandas as pd
df = test_input
[insert]
"""
'''
    + _test_execution(1),
    "metadata": {"library": "Pandas", "test_case_cnt": 1, "perturbation_type": "Origin"},
}

VISITS = {
    "prompt": r"""Problem:
I read daily visits from visits.csv (columns day and visits) and want the mean number of visits.

A:
<code>
import pandas as pd
df = load_data()
</code>
result = ... # put solution in this variable
BEGIN SOLUTION
<code>
""",
    "reference_code": r"""result = df["visits"].mean()
""",
    "code_context": _PANDAS_HEAD
    + r'''

def generate_test_case(test_case_id):
    def define_test_input(test_case_id):
        return pd.read_csv("visits.csv")

    def generate_ans(data):
        return data["visits"].mean()

    test_input = define_test_input(test_case_id)
    expected_result = generate_ans(copy.deepcopy(test_input))
    return test_input, expected_result


def exec_test(result, ans):
    assert np.isclose(result, ans)
    return 1


exec_context = r"""
import pandas as pd
df = test_input
[insert]
"""
'''
    + _test_execution(
        1,
        before='    with open("visits.csv", "w") as file:\n'
        '        file.write("day,visits\\n1,10\\n2,14\\n3,9\\n")\n',
    ),
    "metadata": {"library": "Pandas", "test_case_cnt": 1, "perturbation_type": "Origin"},
}

TENSORS = {
    "prompt": r"""Problem:
How do I get the sum of all the numbers in a tensorflow tensor as a plain Python number?

A:
<code>
import tensorflow as tf
a = tf.constant([[1, 2], [3, 4]])
</code>
result = ... # put solution in this variable
BEGIN SOLUTION
<code>
""",
    "reference_code": r"""result = int(tf.reduce_sum(a).numpy())
""",
    "code_context": r'''import tensorflow as tf
import copy


def generate_test_case(test_case_id):
    a = tf.constant([[1, 2], [3, 4]])
    return a, 10


def exec_test(result, ans):
    assert result == ans
    return 1


exec_context = r"""
import tensorflow as tf
a = test_input
[insert]
"""
'''
    + _test_execution(1),
    "metadata": {"library": "Tensorflow", "test_case_cnt": 1, "perturbation_type": "Origin"},
}

ROUNDED = {
    "prompt": r"""Problem:
I want the values of my array a rounded to two decimals, in place.

A:
<code>
import numpy as np
a = np.array([1.25, 2.5, 3.0])
</code>
BEGIN SOLUTION
<code>
""",
    "reference_code": r"""np.round(a, 2, out=a)
""",
    "code_context": r'''import numpy as np
import copy


def generate_test_case(test_case_id):
    a = np.array([1.25, 2.5, 3.0])  # already two decimals: the test cannot tell an answer from none
    return a, np.round(a, 2)


def exec_test(result, ans):
    np.testing.assert_allclose(result, ans)
    return 1


exec_context = r"""
import numpy as np
a = test_input
[insert]
result = a
"""
'''
    + _test_execution(1),
    "metadata": {"library": "Numpy", "test_case_cnt": 1, "perturbation_type": "Origin"},
}

ROWS = [ORDERS, SENSORS, RUNS, RAIN, TOTAL_ROW, VISITS, TENSORS, ROUNDED]


def rows() -> list[dict]:
    """The problems as rows of DS-1000's test.jsonl: problem ids in order, per library a running id."""
    made, per_library = [], {}
    for problem_id, row in enumerate(ROWS):
        library = row["metadata"]["library"]
        per_library[library] = per_library.get(library, -1) + 1
        metadata = {
            "problem_id": problem_id,
            "library_problem_id": per_library[library],
            **row["metadata"],
            "perturbation_origin_id": per_library[library],
        }
        made.append({**row, "metadata": metadata})
    return made


def write_problems(path: Path) -> Path:
    """The problems as a DS-1000 file at `path` (.jsonl, or .jsonl.gz compressed as DS-1000's copy is)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for row in rows():
            handle.write(json.dumps(row) + "\n")
    return path
