"""The notebook suite: realistic requests of the kind people type under `%%oci`, each with the files and
variables it starts from, a hidden check of the state it must leave, and a reference solution.

A task's `setup` runs first (the user's earlier cells), its `requests` go through `%%oci` one cell each
(a follow-up continues the conversation), then `check` runs in the same kernel: it raises (an assert with a
message) when the work was not done. The check never sees the model's code, only what it left behind, and
accepts every reasonable way of doing it (a Series or a dict, either order of columns...). Besides the
user's variables it can read `_eval_displayed`: the mime types of what the requests' cells displayed.

`reference` is one solution per request: the self-check runs it (every check must pass) and runs nothing
(every check must fail), so that no check is vacuous.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["NotebookTask", "TASKS"]


@dataclass(frozen=True)
class NotebookTask:
    name: str
    kind: str  # files, merge, dates, cleaning, plot, function, follow-up, data
    requests: tuple[str, ...]
    check: str
    reference: tuple[str, ...]
    setup: str = ""
    files: dict[str, str | bytes] = field(default_factory=dict)
    # Kind "plan" (plan_tasks.py): one check per step of the request, each run on the state left at the end.
    step_checks: tuple[str, ...] = ()


def _csv(*rows: str) -> str:
    return "\n".join(rows) + "\n"


_REGIONS = ["north", "south", "east", "west"]
_SALES_ROWS = [f"2024-0{1 + i % 6}-{10 + i % 17};{_REGIONS[i % 4]};{(i * 37) % 90 + 10}" for i in range(40)]
_SALES_TOTALS = {
    region: sum((i * 37) % 90 + 10 for i in range(40) if _REGIONS[i % 4] == region) for region in _REGIONS
}

TASKS: list[NotebookTask] = [
    # -- files that do not read the way one guesses ------------------------------------------------------------
    NotebookTask(
        "semicolon-csv",
        "files",
        (
            "Load sales.csv into a DataFrame called sales and compute the total amount per region as "
            "region_totals (a Series indexed by region).",
        ),
        files={"sales.csv": _csv("date;region;amount", *_SALES_ROWS)},
        check=(
            f"expected = {_SALES_TOTALS!r}\n"
            "got = {str(k): float(v) for k, v in dict(region_totals).items()}\n"
            "assert got == {k: float(v) for k, v in expected.items()}, got\n"
            "assert len(sales) == 40, len(sales)\n"
        ),
        reference=(
            "import pandas as pd\nsales = pd.read_csv('sales.csv', sep=';')\n"
            "region_totals = sales.groupby('region')['amount'].sum()\n",
        ),
    ),
    NotebookTask(
        "comment-lines",
        "files",
        ("Read sensor_log.csv into a DataFrame readings and store the mean temperature in mean_temp.",),
        files={
            "sensor_log.csv": _csv(
                "# exported by station 7",
                "# units: celsius",
                "time,temperature,humidity",
                *[f"2024-03-01T{h:02d}:00,{15 + h % 7}.5,{40 + h}" for h in range(24)],
            )
        },
        check=(
            "expected = sum(15 + h % 7 + 0.5 for h in range(24)) / 24\n"
            "assert abs(float(mean_temp) - expected) < 1e-9, mean_temp\n"
            "assert len(readings) == 24, len(readings)\n"
        ),
        reference=(
            "import pandas as pd\nreadings = pd.read_csv('sensor_log.csv', comment='#')\n"
            "mean_temp = readings['temperature'].mean()\n",
        ),
    ),
    NotebookTask(
        "renamed-column",
        "files",
        (
            "events.csv lists user events. Load it and count the events per weekday name (Monday, Tuesday, ...) "
            "into weekday_counts.",
        ),
        files={
            "events.csv": _csv(
                "user,when,action",
                *[
                    f"u{i % 5},2024-05-{6 + i % 7:02d} 1{i % 10}:00,{'click' if i % 3 else 'view'}"
                    for i in range(35)
                ],
            )
        },
        check=(
            "got = {str(k): int(v) for k, v in dict(weekday_counts).items() if int(v)}\n"
            "assert got == {d: 5 for d in ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', "
            "'Saturday', 'Sunday']}, got\n"
        ),
        reference=(
            "import pandas as pd\nevents = pd.read_csv('events.csv', parse_dates=['when'])\n"
            "weekday_counts = events['when'].dt.day_name().value_counts()\n",
        ),
    ),
    NotebookTask(
        "latin1-file",
        "files",
        (
            "Load customers_fr.csv into a DataFrame customers and store the number of customers per city in "
            "city_counts.",
        ),
        files={
            "customers_fr.csv": _csv(
                "nom,ville,âge",
                "Zoé,Orléans,31",
                "Jérôme,Besançon,45",
                "Amélie,Orléans,27",
                "Hélène,Nîmes,52",
                "François,Besançon,38",
            ).encode("latin-1")
        },
        check=(
            "got = {str(k): int(v) for k, v in dict(city_counts).items()}\n"
            "assert got == {'Orléans': 2, 'Besançon': 2, 'Nîmes': 1}, got\n"
            "assert len(customers) == 5\n"
        ),
        reference=(
            "import pandas as pd\ncustomers = pd.read_csv('customers_fr.csv', encoding='latin-1')\n"
            "city_counts = customers['ville'].value_counts()\n",
        ),
    ),
    NotebookTask(
        "tab-separated-txt",
        "files",
        (
            "Load measurements.txt into a DataFrame m and store the largest value of its value column in "
            "max_value.",
        ),
        files={
            "measurements.txt": _csv(
                "sample\tvalue\tunit", *[f"s{i}\t{(i * 7919) % 1000 / 10}\tmg" for i in range(30)]
            )
        },
        check=(
            "expected = max((i * 7919) % 1000 / 10 for i in range(30))\n"
            "assert abs(float(max_value) - expected) < 1e-9, max_value\n"
            "assert list(m.columns) == ['sample', 'value', 'unit'], list(m.columns)\n"
        ),
        reference=(
            "import pandas as pd\nm = pd.read_csv('measurements.txt', sep='\\t')\n"
            "max_value = m['value'].max()\n",
        ),
    ),
    NotebookTask(
        "nested-json",
        "files",
        (
            "orders.json holds our orders. Build a DataFrame orders_df with one row per order and compute "
            "total_revenue, the sum of quantity times price over all orders.",
        ),
        files={
            "orders.json": (
                '{"exported": "2024-06-01", "count": 4, "data": ['
                '{"id": 1, "item": {"sku": "A1", "price": 9.5}, "quantity": 2},'
                '{"id": 2, "item": {"sku": "B2", "price": 20.0}, "quantity": 1},'
                '{"id": 3, "item": {"sku": "A1", "price": 9.5}, "quantity": 4},'
                '{"id": 4, "item": {"sku": "C3", "price": 3.25}, "quantity": 8}]}\n'
            )
        },
        check=(
            "assert abs(float(total_revenue) - (19 + 20 + 38 + 26)) < 1e-9, total_revenue\n"
            "assert len(orders_df) == 4, len(orders_df)\n"
        ),
        reference=(
            "import json\nimport pandas as pd\n"
            "orders_df = pd.json_normalize(json.load(open('orders.json'))['data'])\n"
            "total_revenue = (orders_df['quantity'] * orders_df['item.price']).sum()\n",
        ),
    ),
    NotebookTask(
        "thousands-separators",
        "files",
        (
            "prices.csv has product prices. Load it into prices_df and compute the average price as avg_price.",
        ),
        files={
            "prices.csv": _csv(
                "product,price",
                'laptop,"1,200.50"',
                'phone,"899.00"',
                'monitor,"1,050.25"',
                'desk,"2,310.00"',
            )
        },
        check=(
            "assert abs(float(avg_price) - (1200.50 + 899.00 + 1050.25 + 2310.00) / 4) < 1e-6, avg_price\n"
        ),
        reference=(
            "import pandas as pd\nprices_df = pd.read_csv('prices.csv', thousands=',')\n"
            "avg_price = prices_df['price'].mean()\n",
        ),
    ),
    NotebookTask(
        "decimal-comma",
        "files",
        (
            "Load the cost report eu_costs.csv into a DataFrame costs and put the sum of its cost column in "
            "total_cost.",
        ),
        files={
            "eu_costs.csv": _csv(
                "department;cost;year",
                "IT;1250,50;2024",
                "HR;830,25;2024",
                "Sales;2100,00;2024",
                "Ops;95,75;2024",
            )
        },
        check="assert abs(float(total_cost) - 4276.5) < 1e-6, total_cost\nassert len(costs) == 4\n",
        reference=(
            "import pandas as pd\ncosts = pd.read_csv('eu_costs.csv', sep=';', decimal=',')\n"
            "total_cost = costs['cost'].sum()\n",
        ),
    ),
    NotebookTask(
        "title-rows",
        "files",
        (
            "report.csv is an export from our accounting tool. Load its table into a DataFrame report and store "
            "the total of the Amount column in report_total.",
        ),
        files={
            "report.csv": _csv(
                "Quarterly report",
                "Generated 2024-07-01",
                "",
                "Account,Amount,Owner",
                "A-100,250,ann",
                "A-200,125,bob",
                "A-300,75,cid",
                "A-400,50,dee",
            )
        },
        check="assert float(report_total) == 500.0, report_total\nassert len(report) == 4, len(report)\n",
        reference=(
            "import pandas as pd\nreport = pd.read_csv('report.csv', skiprows=3)\n"
            "report_total = report['Amount'].sum()\n",
        ),
    ),
    NotebookTask(
        "missing-markers",
        "files",
        (
            "Load scores.csv into exam and compute the mean score over the students who have one, as "
            "mean_score.",
        ),
        files={
            "scores.csv": _csv(
                "student,score",
                "ann,81",
                "bob,n/a",
                "cid,74",
                "dee,-",
                "eve,90",
                "fay,",
                "gus,67",
            )
        },
        check="assert abs(float(mean_score) - (81 + 74 + 90 + 67) / 4) < 1e-9, mean_score\n",
        reference=(
            "import pandas as pd\nexam = pd.read_csv('scores.csv', na_values=['n/a', '-'])\n"
            "mean_score = exam['score'].mean()\n",
        ),
    ),
    # -- merges ------------------------------------------------------------------------------------------------
    NotebookTask(
        "merge-key-names",
        "merge",
        (
            "Merge orders with customers into merged, keeping every order, and compute the revenue per country "
            "as revenue_by_country.",
        ),
        setup=(
            "import pandas as pd\n"
            "orders = pd.DataFrame({'order_id': range(1, 9), 'customer_id': [1, 2, 3, 1, 2, 4, 4, 3],\n"
            "                       'revenue': [100, 250, 80, 40, 60, 300, 20, 90]})\n"
            "customers = pd.DataFrame({'id': [1, 2, 3, 4], 'name': ['Ann', 'Bob', 'Cid', 'Dee'],\n"
            "                          'country': ['FR', 'DE', 'FR', 'IT']})\n"
        ),
        check=(
            "got = {str(k): float(v) for k, v in dict(revenue_by_country).items()}\n"
            "assert got == {'FR': 310.0, 'DE': 310.0, 'IT': 320.0}, got\n"
            "assert len(merged) == 8, len(merged)\n"
        ),
        reference=(
            "merged = orders.merge(customers, left_on='customer_id', right_on='id', how='left')\n"
            "revenue_by_country = merged.groupby('country')['revenue'].sum()\n",
        ),
    ),
    NotebookTask(
        "merge-key-dtypes",
        "merge",
        (
            "Join visits and stores on the store id into combined (one row per visit) and compute the number of "
            "visits per store city as visits_per_city.",
        ),
        setup=(
            "import pandas as pd\n"
            "visits = pd.DataFrame({'store': ['001', '002', '002', '003', '001', '003', '003'],\n"
            "                       'minutes': [5, 12, 7, 3, 9, 14, 6]})\n"
            "stores = pd.DataFrame({'store': [1, 2, 3], 'city': ['Lyon', 'Nantes', 'Lille']})\n"
        ),
        check=(
            "got = {str(k): int(v) for k, v in dict(visits_per_city).items()}\n"
            "assert got == {'Lyon': 2, 'Nantes': 2, 'Lille': 3}, got\n"
            "assert len(combined) == 7, len(combined)\n"
        ),
        reference=(
            "combined = visits.assign(store=visits['store'].astype(int)).merge(stores, on='store')\n"
            "visits_per_city = combined['city'].value_counts()\n",
        ),
    ),
    NotebookTask(
        "merge-messy-names",
        "merge",
        (
            "Every person in people has a salary in salaries. Merge them on the name into staff, with one row "
            "per person, and compute the total salary per team as team_salary.",
        ),
        setup=(
            "import pandas as pd\n"
            "people = pd.DataFrame({'name': ['Alice Martin', 'Bob Stone', 'Chloe Park', 'Dan Wu'],\n"
            "                       'team': ['data', 'web', 'data', 'web']})\n"
            "salaries = pd.DataFrame({'name': [' alice martin', 'BOB STONE ', 'Chloe Park', 'dan wu'],\n"
            "                         'salary': [52000, 48000, 61000, 45000]})\n"
        ),
        check=(
            "got = {str(k): float(v) for k, v in dict(team_salary).items()}\n"
            "assert got == {'data': 113000.0, 'web': 93000.0}, got\n"
            "assert len(staff) == 4, len(staff)\n"
        ),
        reference=(
            "key = lambda s: s.str.strip().str.lower()\n"
            "staff = people.assign(k=key(people['name'])).merge(\n"
            "    salaries.assign(k=key(salaries['name'])).drop(columns='name'), on='k').drop(columns='k')\n"
            "team_salary = staff.groupby('team')['salary'].sum()\n",
        ),
    ),
    NotebookTask(
        "concat-monthly-files",
        "files",
        (
            "The folder monthly/ has one CSV per month. Stack them all into one DataFrame all_months and "
            "compute the total units sold as total_units.",
        ),
        files={
            f"monthly/2024-{m:02d}.csv": _csv("sku,units", *[f"S{i},{m * 10 + i}" for i in range(3)])
            for m in range(1, 5)
        },
        check=(
            "assert int(total_units) == sum(m * 10 + i for m in range(1, 5) for i in range(3)), total_units\n"
            "assert len(all_months) == 12, len(all_months)\n"
        ),
        reference=(
            "import glob\nimport pandas as pd\n"
            "all_months = pd.concat([pd.read_csv(p) for p in sorted(glob.glob('monthly/*.csv'))], "
            "ignore_index=True)\ntotal_units = all_months['units'].sum()\n",
        ),
    ),
    # -- dates ---------------------------------------------------------------------------------------------------
    NotebookTask(
        "day-first-dates",
        "dates",
        (
            "visits has dates written day/month/year. Count the visits per month into monthly_visits, indexed "
            "by the month number.",
        ),
        setup=(
            "import pandas as pd\n"
            "visits = pd.DataFrame({'date': ['03/01/2024', '15/01/2024', '28/01/2024', '02/02/2024',\n"
            "                                '13/02/2024', '31/03/2024', '25/12/2024'],\n"
            "                       'visitor': list('abcdefg')})\n"
        ),
        check=(
            "got = {int(k): int(v) for k, v in dict(monthly_visits).items() if int(v)}\n"
            "assert got == {1: 3, 2: 2, 3: 1, 12: 1}, got\n"
        ),
        reference=(
            "monthly_visits = pd.to_datetime(visits['date'], dayfirst=True).dt.month.value_counts()\n",
        ),
    ),
    NotebookTask(
        "unix-timestamps",
        "dates",
        (
            "log has a ts column of Unix timestamps in seconds. Add a datetime column named time and store the "
            "hour of the day (0-23, UTC) with the most events in busiest_hour.",
        ),
        setup=(
            "import pandas as pd\n"
            "log = pd.DataFrame({'ts': [1717236000 + 3600 * h + 60 * i for h in (1, 3, 3, 3, 7, 7, 9)\n"
            "                           for i in range(2)]})\n"
        ),
        check=(
            "import pandas as pd\n"
            "assert int(busiest_hour) == (pd.Timestamp(1717236000, unit='s').hour + 3) % 24, busiest_hour\n"
            "assert str(log['time'].dtype).startswith('datetime64'), log['time'].dtype\n"
        ),
        reference=(
            "log['time'] = pd.to_datetime(log['ts'], unit='s')\n"
            "busiest_hour = log['time'].dt.hour.value_counts().idxmax()\n",
        ),
    ),
    NotebookTask(
        "delivery-days",
        "dates",
        (
            "shipments.csv has ordered and delivered dates. Load it into shipments, add a column days with the "
            "whole days each delivery took, and store the mean of it in mean_days.",
        ),
        files={
            "shipments.csv": _csv(
                "id,ordered,delivered",
                "1,2024-02-27,2024-03-02",
                "2,2024-03-01,2024-03-04",
                "3,2024-03-05,2024-03-15",
                "4,2024-12-30,2025-01-02",
            )
        },
        check=(
            "assert list(map(int, shipments['days'])) == [4, 3, 10, 3], list(shipments['days'])\n"
            "assert abs(float(mean_days) - 5.0) < 1e-9, mean_days\n"
        ),
        reference=(
            "import pandas as pd\nshipments = pd.read_csv('shipments.csv', parse_dates=['ordered', 'delivered'])\n"
            "shipments['days'] = (shipments['delivered'] - shipments['ordered']).dt.days\n"
            "mean_days = shipments['days'].mean()\n",
        ),
    ),
    NotebookTask(
        "weekly-totals",
        "dates",
        (
            "daily is a Series of daily sales indexed by date. Compute weekly totals (weeks ending on Sunday) "
            "into weekly.",
        ),
        setup=(
            "import pandas as pd\n"
            "daily = pd.Series(range(1, 22), index=pd.date_range('2024-04-01', periods=21, freq='D'))\n"
        ),
        check="assert [int(v) for v in list(weekly)] == [28, 77, 126], list(weekly)\n",
        reference=("weekly = daily.resample('W-SUN').sum()\n",),
    ),
    # -- cleaning ------------------------------------------------------------------------------------------------
    NotebookTask(
        "currency-strings",
        "cleaning",
        (
            "The price column of catalog holds strings like '$1,234.50'. Add a numeric column price_num and "
            "store the total of it in catalog_total.",
        ),
        setup=(
            "import pandas as pd\n"
            "catalog = pd.DataFrame({'item': ['a', 'b', 'c', 'd'],\n"
            "                        'price': ['$1,234.50', '$99.99', '$0.51', '$2,000.00']})\n"
        ),
        check=(
            "assert abs(float(catalog_total) - 3335.0) < 1e-6, catalog_total\n"
            "assert abs(float(catalog['price_num'].iloc[0]) - 1234.5) < 1e-9\n"
        ),
        reference=(
            "catalog['price_num'] = catalog['price'].str.replace('[$,]', '', regex=True).astype(float)\n"
            "catalog_total = catalog['price_num'].sum()\n",
        ),
    ),
    NotebookTask(
        "dedupe-emails",
        "cleaning",
        (
            "contacts has duplicate people: the same email written with different capitals or spaces. Keep the "
            "first row of each person in unique_contacts.",
        ),
        setup=(
            "import pandas as pd\n"
            "contacts = pd.DataFrame({'email': ['ann@x.org', 'ANN@x.org', 'bob@y.com', ' bob@y.com', "
            "'cid@z.net'],\n"
            "                         'source': ['web', 'shop', 'web', 'fair', 'web']})\n"
        ),
        check=(
            "assert len(unique_contacts) == 3, len(unique_contacts)\n"
            "assert sorted(unique_contacts['source']) == ['web', 'web', 'web'], list(unique_contacts['source'])\n"
        ),
        reference=("unique_contacts = contacts[~contacts['email'].str.strip().str.lower().duplicated()]\n",),
    ),
    NotebookTask(
        "fill-by-group",
        "cleaning",
        ("Fill the missing temperatures in weather with the mean temperature of the same city, in place.",),
        setup=(
            "import numpy as np\nimport pandas as pd\n"
            "weather = pd.DataFrame({'city': ['Oslo', 'Oslo', 'Oslo', 'Rome', 'Rome', 'Rome'],\n"
            "                        'temp': [2.0, np.nan, 4.0, 18.0, 22.0, np.nan]})\n"
        ),
        check="assert [float(t) for t in weather['temp']] == [2.0, 3.0, 4.0, 18.0, 22.0, 20.0], list(weather['temp'])\n",
        reference=(
            "weather['temp'] = weather['temp'].fillna(weather.groupby('city')['temp'].transform('mean'))\n",
        ),
    ),
    NotebookTask(
        "split-names",
        "cleaning",
        (
            "Split the full_name column of members into first and last columns (the last name is the last "
            "word).",
        ),
        setup=(
            "import pandas as pd\n"
            "members = pd.DataFrame({'full_name': ['Ada Lovelace', 'Grace Brewster Hopper', 'Alan Turing']})\n"
        ),
        check=(
            "assert list(members['last']) == ['Lovelace', 'Hopper', 'Turing'], list(members['last'])\n"
            "assert list(members['first'])[0] == 'Ada' and list(members['first'])[2] == 'Alan'\n"
        ),
        reference=(
            "members['first'] = members['full_name'].str.split().str[0]\n"
            "members['last'] = members['full_name'].str.split().str[-1]\n",
        ),
    ),
    NotebookTask(
        "pivot-zero-fill",
        "cleaning",
        (
            "Make a pivot table of sales_long with regions as rows and products as columns holding the summed "
            "amount, with 0 where there were no sales, into pivot.",
        ),
        setup=(
            "import pandas as pd\n"
            "sales_long = pd.DataFrame({'region': ['N', 'N', 'S', 'S', 'E'],\n"
            "                           'product': ['tea', 'coffee', 'tea', 'tea', 'coffee'],\n"
            "                           'amount': [5, 7, 3, 4, 9]})\n"
        ),
        check=(
            "assert float(pivot.loc['S', 'tea']) == 7 and float(pivot.loc['S', 'coffee']) == 0, pivot\n"
            "assert float(pivot.loc['E', 'tea']) == 0 and float(pivot.loc['N', 'coffee']) == 7, pivot\n"
        ),
        reference=(
            "pivot = sales_long.pivot_table(index='region', columns='product', values='amount', "
            "aggfunc='sum', fill_value=0)\n",
        ),
    ),
    NotebookTask(
        "string-numbers-sum",
        "cleaning",
        (
            "inventory_raw has a qty column read as text, with some blanks. Store the total quantity in "
            "total_qty as a number.",
        ),
        setup=(
            "import pandas as pd\n"
            "inventory_raw = pd.DataFrame({'sku': list('abcde'), 'qty': ['12', '7', '', '30', ' 5']})\n"
        ),
        check="assert float(total_qty) == 54.0 and not isinstance(total_qty, str), repr(total_qty)\n",
        reference=("total_qty = pd.to_numeric(inventory_raw['qty'].str.strip(), errors='coerce').sum()\n",),
    ),
    # -- plots ---------------------------------------------------------------------------------------------------
    NotebookTask(
        "histogram-file",
        "plot",
        ("Plot a histogram of the age column of people_ages with 10 bins and save it to ages.png.",),
        setup=(
            "import pandas as pd\npeople_ages = pd.DataFrame({'age': [(i * 13) % 60 + 18 for i in range(200)]})\n"
        ),
        check=(
            "import pathlib\n"
            "data = pathlib.Path('ages.png').read_bytes()\n"
            "assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n' and len(data) > 2000, len(data)\n"
        ),
        reference=(
            "import matplotlib.pyplot as plt\nplt.hist(people_ages['age'], bins=10)\n"
            "plt.savefig('ages.png')\n",
        ),
    ),
    NotebookTask(
        "bar-chart-shown",
        "plot",
        ("Show a bar chart of the number of tickets per status in tickets.",),
        setup=(
            "import pandas as pd\n"
            "tickets = pd.DataFrame({'status': ['open', 'closed', 'open', 'pending', 'closed', 'open']})\n"
        ),
        check=("assert 'image/png' in _eval_displayed, 'no plot was shown'\n"),
        reference=("tickets['status'].value_counts().plot.bar()\n",),
    ),
    # -- small functions -----------------------------------------------------------------------------------------
    NotebookTask(
        "slugify",
        "function",
        (
            "Write a function slugify(title) that lowercases the title, turns every run of characters that are "
            "not letters or digits into a single '-', and strips '-' from both ends.",
        ),
        check=(
            "assert slugify('Hello, World!') == 'hello-world'\n"
            "assert slugify('  Data -- Science 101 ') == 'data-science-101'\n"
            "assert slugify('---') == ''\n"
        ),
        reference=(
            "import re\n\ndef slugify(title):\n"
            "    return re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')\n",
        ),
    ),
    NotebookTask(
        "parse-duration",
        "function",
        (
            "Write parse_duration(text) that turns strings like '1h30m', '45m', '2h' or '1h5m30s' into a number "
            "of seconds.",
        ),
        check=(
            "assert parse_duration('1h30m') == 5400\nassert parse_duration('45m') == 2700\n"
            "assert parse_duration('2h') == 7200\nassert parse_duration('1h5m30s') == 3930\n"
        ),
        reference=(
            "import re\n\ndef parse_duration(text):\n"
            "    units = {'h': 3600, 'm': 60, 's': 1}\n"
            "    return sum(int(n) * units[u] for n, u in re.findall(r'(\\d+)([hms])', text))\n",
        ),
    ),
    NotebookTask(
        "moving-average",
        "function",
        (
            "Write moving_average(values, window) returning the list of the means of each full window of "
            "consecutive values; then apply it to prices_list with a window of 3 into smoothed.",
        ),
        setup="prices_list = [10, 12, 11, 15, 18, 17, 20]\n",
        check=(
            "assert [round(float(v), 6) for v in smoothed] == [11.0, 12.666667, 14.666667, 16.666667, 18.333333], "
            "list(smoothed)\n"
            "assert [float(v) for v in moving_average([1, 2, 3, 4], 2)] == [1.5, 2.5, 3.5]\n"
        ),
        reference=(
            "def moving_average(values, window):\n"
            "    return [sum(values[i:i + window]) / window for i in range(len(values) - window + 1)]\n\n"
            "smoothed = moving_average(prices_list, 3)\n",
        ),
    ),
    NotebookTask(
        "top-words",
        "data",
        (
            "Find the 3 most frequent words in the string review_text, ignoring case and punctuation, as a list "
            "of (word, count) pairs in top_words.",
        ),
        setup="review_text = 'Great phone. The battery: great, the screen: GREAT! Battery life: great, the best.'\n",
        check=(
            "got = [(str(w), int(c)) for w, c in top_words]\n"
            "assert got == [('great', 4), ('the', 3), ('battery', 2)], got\n"
        ),
        reference=(
            "import re\nfrom collections import Counter\n"
            "top_words = Counter(re.findall(r'[a-z]+', review_text.lower())).most_common(3)\n",
        ),
    ),
    # -- the user's own data -------------------------------------------------------------------------------------
    NotebookTask(
        "best-student",
        "data",
        ("Which student has the highest average score? Store the name in best_student.",),
        setup="scores = {'ann': [71, 80, 92], 'bob': [88, 90, 85], 'cid': [95, 60, 70], 'dee': [80, 85, 89]}\n",
        check=(
            "assert best_student == 'bob', best_student\n"
            "assert scores['cid'] == [95, 60, 70], 'the data was changed'\n"
        ),
        reference=("best_student = max(scores, key=lambda name: sum(scores[name]) / len(scores[name]))\n",),
    ),
    NotebookTask(
        "normalize-columns",
        "data",
        ("Standardize each column of the numpy array X to zero mean and unit variance into Xn.",),
        setup="import numpy as np\nX = np.array([[1.0, 200.0], [2.0, 400.0], [3.0, 900.0], [6.0, 100.0]])\n",
        check=(
            "import numpy as np\nassert Xn.shape == X.shape, Xn.shape\n"
            "assert np.allclose(Xn.mean(axis=0), 0) and np.allclose(Xn.std(axis=0), 1, atol=0.2), Xn\n"
            "assert np.allclose(X[0], [1.0, 200.0]), 'X was changed'\n"
        ),
        reference=("Xn = (X - X.mean(axis=0)) / X.std(axis=0)\n",),
    ),
    NotebookTask(
        "nested-config",
        "data",
        (
            "config is a nested dict. Collect every key path whose value is None into a list of dotted strings "
            "called missing_settings (like 'db.password').",
        ),
        setup=(
            "config = {'db': {'host': 'localhost', 'password': None, 'pool': {'size': None, 'timeout': 5}},\n"
            "          'debug': False, 'api_key': None}\n"
        ),
        check="assert sorted(missing_settings) == ['api_key', 'db.password', 'db.pool.size'], missing_settings\n",
        reference=(
            "def _paths(d, prefix=''):\n"
            "    for k, v in d.items():\n"
            "        if isinstance(v, dict):\n"
            "            yield from _paths(v, prefix + k + '.')\n"
            "        elif v is None:\n"
            "            yield prefix + k\n\n"
            "missing_settings = list(_paths(config))\n",
        ),
    ),
    # -- follow-ups: the second request builds on the first -----------------------------------------------------
    NotebookTask(
        "follow-up-stock-value",
        "follow-up",
        (
            "Load inventory.csv into a DataFrame inv.",
            "Now add a column value equal to qty times unit_price, and store the total stock value in "
            "total_value.",
        ),
        files={"inventory.csv": _csv("sku,qty,unit_price", "A,10,2.5", "B,3,10.0", "C,0,99.0", "D,7,1.25")},
        check=(
            "assert abs(float(total_value) - 63.75) < 1e-9, total_value\n"
            "assert 'value' in inv.columns and len(inv) == 4, list(inv.columns)\n"
        ),
        reference=(
            "import pandas as pd\ninv = pd.read_csv('inventory.csv')\n",
            "inv['value'] = inv['qty'] * inv['unit_price']\ntotal_value = inv['value'].sum()\n",
        ),
    ),
    NotebookTask(
        "follow-up-top-n",
        "follow-up",
        (
            "Make a DataFrame players from the dict raw_players.",
            "Keep the 2 players with the highest points per game (points divided by games) in top_players.",
        ),
        setup="raw_players = {'name': ['kim', 'lee', 'ola', 'pia'], 'points': [300, 150, 420, 90], 'games': [20, 5, 30, 3]}\n",
        check="assert sorted(top_players['name']) == ['lee', 'pia'], list(top_players['name'])\n",
        reference=(
            "import pandas as pd\nplayers = pd.DataFrame(raw_players)\n",
            "top_players = players.assign(ppg=players['points'] / players['games']).nlargest(2, 'ppg')\n",
        ),
    ),
    NotebookTask(
        "follow-up-filter-file",
        "follow-up",
        (
            "Read trips.csv into trips.",
            "How many trips were longer than 10 km? Store the count in long_trips.",
        ),
        files={
            "trips.csv": _csv(
                "trip;distance_km;minutes", "1;3,5;12", "2;12,0;30", "3;10,5;25", "4;25,25;50", "5;9,9;22"
            )
        },
        check="assert int(long_trips) == 3, long_trips\n",
        reference=(
            "import pandas as pd\ntrips = pd.read_csv('trips.csv', sep=';', decimal=',')\n",
            "long_trips = int((trips['distance_km'] > 10).sum())\n",
        ),
    ),
]
