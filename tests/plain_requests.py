"""Plain requests with correct answers, phrased the many ways people type into a notebook (questions,
commands, "show me", "give me", pasted errors, terse notes, requests that name a library call or a format),
for counting the checks' false stops: each correct answer must pass its first round.

Each entry: (setup run in the kernel first, the request, a correct answer). Files the requests read are
written by `FILES`.
"""

FILES = {
    "weather.csv": "date,city,temp_c\n2024-01-01,Oslo,-3.5\n2024-01-02,Oslo,-1.0\n2024-01-01,Rome,9.5\n",
    "people.csv": "Full Name ,Age,E-mail\nAnn Lee,34,ann@x.org\nBo Ray,29,bo@x.org\n",
}

_SALES = (
    "import pandas as pd\n"
    "sales = pd.DataFrame({'region': ['n', 's', 'n', 'e'], 'amount': [10.0, 20.0, 5.0, 7.5],"
    " 'date': ['2024-01-03', '2024-02-10', '2024-02-11', '2024-03-01']})"
)
_TEXT = "text = 'the cat and the hat and the bat'"
_RAW = "import pandas as pd\nraw = pd.DataFrame({' First Name': ['a'], 'Last-Name ': ['b'], 'AGE': [3]})"

REQUESTS = [
    # questions
    (_SALES, "What's the total amount per region?", "print(sales.groupby('region')['amount'].sum())"),
    (_SALES, "which region sold the most?", "print(sales.groupby('region')['amount'].sum().idxmax())"),
    (_SALES, "How many rows does sales have?", "len(sales)"),
    (_SALES, "Is there any missing value in sales?", "sales.isna().any().any()"),
    (
        _TEXT,
        "How often does each word occur in text? I want a dict called counts.",
        "from collections import Counter\ncounts = Counter(text.split())",
    ),
    # commands
    (_SALES, "Convert the date column into datetime.", "sales['date'] = pd.to_datetime(sales['date'])"),
    (
        _SALES,
        "Compute the mean of the numeric columns into col_means.",
        "col_means = sales.mean(numeric_only=True)",
    ),
    (
        _SALES,
        "Sort sales by amount, biggest first, and put the top two rows into a new table.",
        "top = sales.sort_values('amount', ascending=False).head(2)",
    ),
    (
        _RAW,
        "Clean up the column names of raw",
        "raw.columns = [c.strip().lower().replace(' ', '_').replace('-', '_') for c in raw.columns]",
    ),
    (
        "",
        "Read weather.csv with parse_dates so the date column is a datetime.",
        "import pandas as pd\nweather = pd.read_csv('weather.csv', parse_dates=['date'])",
    ),
    (
        "",
        "load people.csv and strip the spaces from the headers",
        "import pandas as pd\npeople = pd.read_csv('people.csv')\n"
        "people.columns = people.columns.str.strip()",
    ),
    (
        _SALES,
        "Add a month column (the month number of date).",
        "sales['month'] = pd.to_datetime(sales['date']).dt.month",
    ),
    (
        _SALES,
        "Use the pandas apply() to label amounts over 8 as 'big', others 'small', in a size column.",
        "sales['size'] = sales['amount'].apply(lambda a: 'big' if a > 8 else 'small')",
    ),
    (
        _SALES,
        "Normalize amount to the range 0..1 in place.",
        "sales['amount'] = (sales['amount'] - sales['amount'].min()) / (sales['amount'].max() - "
        "sales['amount'].min())",
    ),
    (_TEXT, "Make the text title case.", "text = text.title()"),
    (_TEXT, "split text into words", "words = text.split()"),
    ("nums = [3, 1, 2]", "Turn nums into a numpy array.", "import numpy as np\nnums = np.array(nums)"),
    (
        "nums = [3, 1, 2, 3]",
        "Remove the duplicates from nums, keeping the order.",
        "nums = list(dict.fromkeys(nums))",
    ),
    # show me / give me / let me see
    (_SALES, "show me the first 2 rows", "sales.head(2)"),
    (_SALES, "Give me the value_counts of region.", "sales['region'].value_counts()"),
    (
        _SALES,
        "give me a bar chart of amount by region",
        "import matplotlib.pyplot as plt\n"
        "sales.groupby('region')['amount'].sum().plot(kind='bar')\nplt.show()",
    ),
    (_SALES, "Let me see the summary statistics.", "sales.describe()"),
    (
        _SALES,
        "plot the amounts over time as a line",
        "import matplotlib.pyplot as plt\n"
        "plt.plot(pd.to_datetime(sales['date']), sales['amount'])\nplt.show()",
    ),
    # pasted errors
    (
        _SALES,
        "KeyError: 'Amount'\nwhat's wrong? I want the sum of the amounts",
        "print(sales['amount'].sum())",
    ),
    (
        _SALES,
        'TypeError: can only concatenate str (not "float") to str -- I\'m trying to build labels like '
        "'n: 10.0' for each row",
        "labels = sales['region'] + ': ' + sales['amount'].astype(str)",
    ),
    # formats and placeholders
    (
        _SALES,
        "What is the mean amount? Answer as @mean_amount[mean_amount_value], rounded to 2 decimals.",
        "print(f\"@mean_amount[{sales['amount'].mean():.2f}]\")",
    ),
    (_SALES, "Report the maximum amount in the format {max_amount}.", "print(sales['amount'].max())"),
    (
        _SALES,
        "Export sales to sales_clean.csv without the index.",
        "sales.to_csv('sales_clean.csv', index=False)",
    ),
    (
        _SALES,
        "Save the regions as a JSON list to regions.json.",
        "import json\njson.dump(sorted(sales['region'].unique()), open('regions.json', 'w'))",
    ),
    # terse notes, mixed styles
    (_SALES, "dedupe sales on region, keep last", "sales = sales.drop_duplicates('region', keep='last')"),
    (_SALES, "amount -> int", "sales['amount'] = sales['amount'].astype(int)"),
    (
        _SALES,
        "pivot: regions as rows, months as columns, summed amount",
        "pd.pivot_table(sales.assign(month=pd.to_datetime(sales['date']).dt.month), index='region', "
        "columns='month', values='amount', aggfunc='sum')",
    ),
    (_SALES, "Can you fill missing amounts with fillna(0)?", "sales['amount'] = sales['amount'].fillna(0)"),
    (_SALES, "Please rename amount to revenue.", "sales = sales.rename(columns={'amount': 'revenue'})"),
    ("import numpy as np\na = np.arange(12)", "reshape a to 3 rows and 4 columns", "a = a.reshape(3, 4)"),
    (
        "import numpy as np\na = np.array([[1, 2], [3, 4]])",
        "I need the row sums of a as a list.",
        "a.sum(axis=1).tolist()",
    ),
    ("d = {'b': 2, 'a': 1}", "sort the dict d by its keys", "d = dict(sorted(d.items()))"),
    (
        "",
        "Write a function is_even(n) that returns True for even numbers. is_even(4) should return True.",
        "def is_even(n):\n    return n % 2 == 0",
    ),
    (
        "",
        "define fib(n) returning the n-th Fibonacci number, fib(10) == 55",
        "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a",
    ),
    (
        _SALES,
        "Replace the region codes n, s, e with North, South, East in the same column.",
        "sales['region'] = sales['region'].map({'n': 'North', 's': 'South', 'e': 'East'})",
    ),
    (
        _SALES,
        "Drop the rows where amount is below 8 (in case there are any).",
        "sales = sales[sales['amount'] >= 8]",
    ),
]
