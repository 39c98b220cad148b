"""The multi-step notebook tasks (kind "plan"): one request that is several cells of work (load a file with
a trap, clean it, aggregate, plot, conclude), with a hidden check per step. `oci-magic eval notebook` runs
each as one `%%oci` and as `%%oci --plan`, and counts the steps whose check passes in each.

The data is generated here, so the expected values are computed from it in Python, never by the code under
test; each step's check reads only what the request asks to leave (named variables, a plot shown)."""

from __future__ import annotations

import calendar
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from oci_magic.evaluation.notebook_tasks import NotebookTask

__all__ = ["PLAN_TASKS"]

_PLOT = "assert 'image/png' in _eval_displayed, 'no plot was shown'"


def _csv(*rows: str) -> str:
    return "\n".join(rows) + "\n"


def _series_check(name: str, expected: dict, tolerance: float = 1e-6, width: int | None = None) -> str:
    """`name` holds `expected` (key -> number) as a Series, a dict, or a DataFrame of one value column
    (indexed by the key, or with the key as its other column); keys compared as text (the first `width`
    characters: a month or a day however the index holds dates)."""
    key = f"str(k)[:{width}]" if width else "str(k)"
    return (
        f"_v = {name}\n"
        "if hasattr(_v, 'columns') and len(_v.columns) == 2: _v = _v.set_index(_v.columns[0])\n"
        "if hasattr(_v, 'columns') and len(_v.columns) == 1: _v = _v.iloc[:, 0]\n"
        f"_got = {{{key}: float(v) for k, v in dict(_v).items()}}\n"
        f"_want = {expected!r}\n"
        f"assert set(_got) == set(_want), ('{name} keys', sorted(_got))\n"
        f"assert all(abs(_got[k] - _want[k]) < {tolerance} * max(1, abs(_want[k])) for k in _want), "
        f"('{name}', _got)"
    )


def _task(name: str, request: str, files: dict, steps: list[str], reference: str) -> NotebookTask:
    return NotebookTask(
        name,
        "plan",
        (request,),
        check="\n".join(steps),
        reference=(reference,),
        files=files,
        step_checks=tuple(steps),
    )


def _sales_monthly() -> NotebookTask:
    rows, monthly = [], defaultdict(float)
    for i in range(60):
        day = date(2024, 1, 1) + timedelta(days=(i * 5) % 180)
        amount = round(10 + (i * 7919) % 500 / 10, 2)
        rows.append(f"{day:%d/%m/%Y};shop{i % 3};{str(amount).replace('.', ',')}")
        monthly[f"{day:%Y-%m}"] += amount
    months = sorted(monthly)
    growth = {m: monthly[m] - monthly[p] for p, m in zip(months, months[1:], strict=False)}
    best = max(growth, key=growth.get)
    steps = [
        "assert len(sales) == 60, len(sales)",
        "import pandas as _pd\nassert _pd.api.types.is_datetime64_any_dtype(sales['date']), sales.dtypes\n"
        "assert sales['date'].iloc[1].month == 1 and sales['date'].iloc[1].day == 6, sales['date'].iloc[1]",
        _series_check("monthly", {m: round(v, 6) for m, v in monthly.items()}, 1e-4, width=7),
        _PLOT,
        f"assert str(best_month)[:7] == {best!r}, best_month",
    ]
    request = (
        "Load sales.csv into a DataFrame `sales`, parse its date column as dates, compute the total amount per "
        "month as `monthly` (a Series indexed by month, in order), plot `monthly` as a line chart, and store "
        "the month whose total grew most over the month before in `best_month` as a 'YYYY-MM' string."
    )
    reference = (
        "import pandas as pd\nsales = pd.read_csv('sales.csv', sep=';', decimal=',')\n"
        "sales['date'] = pd.to_datetime(sales['date'], dayfirst=True)\n"
        "monthly = sales.groupby(sales['date'].dt.strftime('%Y-%m'))['amount'].sum()\n"
        "monthly.plot()\nimport matplotlib.pyplot as plt\nplt.show()\n"
        "best_month = monthly.diff().idxmax()\n"
    )
    return _task(
        "plan-sales-monthly", request, {"sales.csv": _csv("date;shop;amount", *rows)}, steps, reference
    )


def _sensor_daily() -> NotebookTask:
    rows, daily = [], defaultdict(list)
    for h in range(96):
        stamp = datetime(2024, 3, 1) + timedelta(hours=h)
        temp = None if h % 11 == 5 else round(12 + (h * 37) % 90 / 10 + (h // 24), 1)
        rows.append(f"{stamp:%Y-%m-%d %H:%M},{'NA' if temp is None else temp},{40 + h % 30}")
        if temp is not None:
            daily[f"{stamp:%Y-%m-%d}"].append(temp)
    means = {d: sum(v) / len(v) for d, v in daily.items()}
    kept = sum(len(v) for v in daily.values())
    steps = [
        "assert 'temperature' in readings.columns, readings.columns",
        f"assert len(readings) == {kept} and readings['temperature'].notna().all(), len(readings)",
        _series_check("daily", means, 1e-6, width=10),
        _PLOT,
        f"assert str(hottest_day)[:10] == {max(means, key=means.get)!r}, hottest_day",
    ]
    request = (
        "Read sensor.csv into a DataFrame `readings` and drop the rows whose temperature is missing. Compute "
        "the mean temperature per day as `daily` (a Series indexed by date), plot it, and store the hottest "
        "day in `hottest_day` as a 'YYYY-MM-DD' string."
    )
    reference = (
        "import pandas as pd\nreadings = pd.read_csv('sensor.csv', comment='#', parse_dates=['time'])\n"
        "readings = readings.dropna(subset=['temperature'])\n"
        "daily = readings.groupby(readings['time'].dt.strftime('%Y-%m-%d'))['temperature'].mean()\n"
        "daily.plot()\nimport matplotlib.pyplot as plt\nplt.show()\nhottest_day = daily.idxmax()\n"
    )
    text = _csv(
        "# station 4, exported 2024-03-05", "# units: celsius, percent", "time,temperature,humidity", *rows
    )
    return _task("plan-sensor-daily", request, {"sensor.csv": text}, steps, reference)


def _product_prices() -> NotebookTask:
    cats = ["Garden", "garden ", "Kitchen", " KITCHEN", "Office", "office"]
    rows, prices = [], defaultdict(list)
    for i in range(30):
        price = 5 + (i * 613) % 2000 + 0.5 * (i % 2)
        cat = cats[i % 6]
        rows.append(f'P{i:03d},"{cat}","${price:,.2f}"')
        prices[cat.strip().lower()].append(price)
    avg = {c: sum(v) / len(v) for c, v in prices.items()}
    steps = [
        "assert len(products) == 30, len(products)",
        "assert products['price'].dtype.kind == 'f', products['price'].dtype\n"
        "assert sorted(set(products['category'])) == ['garden', 'kitchen', 'office'], set(products['category'])",
        _series_check("avg_price", avg, 1e-6),
        _PLOT,
        f"assert top_category == {max(avg, key=avg.get)!r}, top_category",
    ]
    request = (
        "Load products.csv into `products`. Turn the price column into numbers, and normalise the category "
        "names (lowercase, no surrounding spaces). Compute the average price per category as `avg_price`, "
        "show it as a bar chart, and store the category with the highest average price in `top_category`."
    )
    reference = (
        "import pandas as pd\nproducts = pd.read_csv('products.csv')\n"
        "products['price'] = products['price'].str.replace('[$,]', '', regex=True).astype(float)\n"
        "products['category'] = products['category'].str.strip().str.lower()\n"
        "avg_price = products.groupby('category')['price'].mean()\n"
        "avg_price.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\ntop_category = avg_price.idxmax()\n"
    )
    files = {"products.csv": _csv("sku,category,price", *rows)}
    return _task("plan-product-prices", request, files, steps, reference)


def _duplicate_orders() -> NotebookTask:
    names = ["apple", "pear", "plum", "fig", "kiwi"]
    rows = [f"{1000 + i},{names[(i * 3) % 5]},{1 + (i * 7) % 9}" for i in range(40)]
    doubled = rows + rows[5:17]  # an export that ran twice for part of the day
    totals = Counter()
    for row in rows:
        _, name, qty = row.split(",")
        totals[name] += int(qty)
    steps = [
        "assert {'order_id', 'product', 'quantity'} <= set(orders.columns), orders.columns",
        "assert len(orders) == 40 and not orders.duplicated().any(), len(orders)",
        _series_check("per_product", dict(totals)),
        _PLOT,
        f"assert top_product == {max(totals, key=totals.get)!r}, top_product",
    ]
    request = (
        "Load orders.csv into `orders` and remove the duplicated rows (the export repeated some orders). "
        "Compute the total quantity per product as `per_product`, plot it as a bar chart, and store the "
        "product with the largest total in `top_product`."
    )
    reference = (
        "import pandas as pd\norders = pd.read_csv('orders.csv').drop_duplicates()\n"
        "per_product = orders.groupby('product')['quantity'].sum()\n"
        "per_product.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\ntop_product = per_product.idxmax()\n"
    )
    files = {"orders.csv": _csv("order_id,product,quantity", *doubled)}
    return _task("plan-duplicate-orders", request, files, steps, reference)


def _customers_join() -> NotebookTask:
    countries = ["DE", "FR", "IT", "ES"]
    customers = [f"{i},Customer {i},{countries[(i * 5) % 4]}" for i in range(1, 13)]
    orders, revenue = [], defaultdict(float)
    for j in range(36):
        cid = 1 + (j * 7) % 12
        amount = 20 + (j * 53) % 180
        orders.append(f"{j + 1},{cid},{amount}")
        revenue[countries[(cid * 5) % 4]] += amount
    steps = [
        "assert len(customers) == 12 and len(orders) == 36, (len(customers), len(orders))",
        "assert len(merged) == 36 and 'country' in merged.columns, merged.columns",
        _series_check("by_country", dict(revenue)),
        _PLOT,
        f"assert top_country == {max(revenue, key=revenue.get)!r}, top_country",
    ]
    request = (
        "Load customers.csv into `customers` and orders.csv into `orders`, join every order to its customer "
        "as `merged`, compute the revenue (sum of amount) per country as `by_country`, plot it as a bar chart, "
        "and store the country with the most revenue in `top_country`."
    )
    reference = (
        "import pandas as pd\ncustomers = pd.read_csv('customers.csv')\norders = pd.read_csv('orders.csv')\n"
        "merged = orders.merge(customers, left_on='customer', right_on='id')\n"
        "by_country = merged.groupby('country')['amount'].sum()\n"
        "by_country.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\ntop_country = by_country.idxmax()\n"
    )
    files = {
        "customers.csv": _csv("id,name,country", *customers),
        "orders.csv": _csv("order,customer,amount", *orders),
    }
    return _task("plan-customers-join", request, files, steps, reference)


def _latin1_cities() -> NotebookTask:
    cities = [
        ("Zürich", "CH", 421878),
        ("Genève", "CH", 203856),
        ("Malmö", "SE", 351749),
        ("Göteborg", "SE", 587549),
        ("København", "DK", 644431),
        ("Århus", "DK", 285273),
        ("Bern", "CH", 134794),
        ("Växjö", "SE", 94859),
    ]
    total = defaultdict(int)
    for _, country, pop in cities:
        total[country] += pop
    text = _csv("city,country,population", *(f"{c},{k},{p}" for c, k, p in cities))
    steps = [
        "assert len(cities) == 8 and 'Zürich' in set(cities['city']), list(cities['city'])",
        "assert cities['population'].dtype.kind in 'iu', cities['population'].dtype",
        _series_check("by_country", dict(total)),
        _PLOT,
        f"assert largest_country == {max(total, key=total.get)!r}, largest_country",
    ]
    request = (
        "Load cities.csv (saved by an old Windows program) into `cities` with the city names read correctly. "
        "Compute the total population per country as `by_country`, plot it as a bar chart, and store the "
        "country with the largest total in `largest_country`."
    )
    reference = (
        "import pandas as pd\ncities = pd.read_csv('cities.csv', encoding='latin-1')\n"
        "by_country = cities.groupby('country')['population'].sum()\n"
        "by_country.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\n"
        "largest_country = by_country.idxmax()\n"
    )
    return _task("plan-latin1-cities", request, {"cities.csv": text.encode("latin-1")}, steps, reference)


def _wide_to_long() -> NotebookTask:
    months = ["jan", "feb", "mar", "apr", "may", "jun"]
    stores = ["A", "B", "C", "D"]
    values = {
        (s, m): 100 + (i * 31 + j * 17) % 80 for i, s in enumerate(stores) for j, m in enumerate(months)
    }
    rows = [",".join([s, *(str(values[s, m]) for m in months)]) for s in stores]
    per_month = {m: sum(values[s, m] for s in stores) for m in months}
    order = list(per_month)
    steps = [
        "assert len(wide) == 4, len(wide)",
        "assert len(long_sales) == 24 and {'store', 'month', 'sales'} <= set(long_sales.columns), long_sales.columns",
        _series_check("per_month", per_month) + f"\nassert list(_got) == {order!r}, list(_got)",
        _PLOT,
        f"assert weakest_month == {min(per_month, key=per_month.get)!r}, weakest_month",
    ]
    request = (
        "stores.csv has one row per store and one column per month. Load it into `wide`, reshape it into a "
        "long table `long_sales` with the columns store, month and sales, compute the total sales per month "
        "as `per_month` in calendar order, plot it as a line chart, and store the month with the lowest total "
        "in `weakest_month`."
    )
    reference = (
        "import pandas as pd\nwide = pd.read_csv('stores.csv')\n"
        "long_sales = wide.melt(id_vars='store', var_name='month', value_name='sales')\n"
        "per_month = long_sales.groupby('month', sort=False)['sales'].sum()\n"
        "per_month.plot()\nimport matplotlib.pyplot as plt\nplt.show()\nweakest_month = per_month.idxmin()\n"
    )
    files = {"stores.csv": _csv(",".join(["store", *months]), *rows)}
    return _task("plan-wide-to-long", request, files, steps, reference)


def _thousands_density() -> NotebookTask:
    regions = [
        (f"Region {c}", 50_000 + (i * 7_777_777) % 9_000_000, 100 + (i * 997) % 20_000)
        for i, c in enumerate("ABCDEFGHIJ")
    ]
    rows = [f'{name},"{pop:,}","{area:,}"' for name, pop, area in regions]
    density = {name: pop / area for name, pop, area in regions}
    steps = [
        "assert len(regions) == 10, len(regions)",
        "assert regions['population'].dtype.kind in 'iuf' and regions['area'].dtype.kind in 'iuf', regions.dtypes",
        "_d = dict(zip(regions['region'], regions['density']))\n" + _series_check("_d", density),
        _PLOT,
        f"assert densest == {max(density, key=density.get)!r}, densest",
    ]
    request = (
        "Load regions.csv into `regions` (population and area are written with thousands separators) with "
        "numeric population and area columns, add a column density = population / area, plot the density "
        "of each region as a bar chart, and store the name of the densest region in `densest`."
    )
    reference = (
        "import pandas as pd\nregions = pd.read_csv('regions.csv', thousands=',')\n"
        "regions['density'] = regions['population'] / regions['area']\n"
        "regions.plot.bar(x='region', y='density')\nimport matplotlib.pyplot as plt\nplt.show()\n"
        "densest = regions.loc[regions['density'].idxmax(), 'region']\n"
    )
    files = {"regions.csv": _csv("region,population,area", *rows)}
    return _task("plan-thousands-density", request, files, steps, reference)


def _events_hourly() -> NotebookTask:
    lines, per_hour = [], Counter()
    for i in range(80):
        stamp = datetime(2024, 5, 2, 6) + timedelta(minutes=(i * 97) % 900)
        lines.append(json.dumps({"ts": stamp.isoformat() + "Z", "user": f"u{i % 9}", "event": "click"}))
        per_hour[stamp.hour] += 1
    steps = [
        "assert len(events) == 80, len(events)",
        "import pandas as _pd\nassert _pd.api.types.is_datetime64_any_dtype(events['ts']), events.dtypes",
        _series_check("per_hour", {str(h): n for h, n in sorted(per_hour.items())}),
        _PLOT,
        f"assert int(busiest_hour) == {max(sorted(per_hour), key=per_hour.get)}, busiest_hour",
    ]
    request = (
        "events.jsonl has one JSON event per line. Load it into `events`, parse the ts column as timestamps, "
        "count the events per hour of the day as `per_hour` (a Series indexed by hour), plot it as a bar "
        "chart, and store the busiest hour as an int in `busiest_hour`."
    )
    reference = (
        "import pandas as pd\nevents = pd.read_json('events.jsonl', lines=True)\n"
        "events['ts'] = pd.to_datetime(events['ts'])\n"
        "per_hour = events.groupby(events['ts'].dt.hour).size()\n"
        "per_hour.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\nbusiest_hour = int(per_hour.idxmax())\n"
    )
    return _task("plan-events-hourly", request, {"events.jsonl": "\n".join(lines) + "\n"}, steps, reference)


def _refunds_weekday() -> NotebookTask:
    rows, by_day = [], defaultdict(list)
    for i in range(70):
        day = date(2024, 6, 3) + timedelta(days=i % 21)
        amount = None if i % 13 == 4 else (-(i % 40) if i % 9 == 2 else 5 + (i * 37) % 120)
        rows.append(f"{day:%Y-%m-%d},{'n/a' if amount is None else amount}")
        if amount is not None and amount > 0:
            by_day[calendar.day_name[day.weekday()]].append(amount)
    means = {d: sum(v) / len(v) for d, v in by_day.items()}
    kept = sum(len(v) for v in by_day.values())
    steps = [
        "assert 'amount' in tx.columns, tx.columns",
        f"assert len(tx) == {kept} and (tx['amount'].astype(float) > 0).all(), len(tx)",
        _series_check("by_weekday", means),
        _PLOT,
        f"assert best_weekday == {max(means, key=means.get)!r}, best_weekday",
    ]
    request = (
        "Load transactions.csv into `tx`, keeping only the rows with a positive amount (refunds are negative "
        "and some amounts are missing). Compute the mean amount per weekday name (Monday, Tuesday, ...) as "
        "`by_weekday`, plot it as a bar chart, and store the weekday with the highest mean in `best_weekday`."
    )
    reference = (
        "import pandas as pd\ntx = pd.read_csv('transactions.csv', na_values=['n/a'], parse_dates=['day'])\n"
        "tx = tx[tx['amount'] > 0]\nby_weekday = tx.groupby(tx['day'].dt.day_name())['amount'].mean()\n"
        "by_weekday.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\nbest_weekday = by_weekday.idxmax()\n"
    )
    return _task(
        "plan-refunds-weekday", request, {"transactions.csv": _csv("day,amount", *rows)}, steps, reference
    )


def _two_years() -> NotebookTask:
    first = [f"{i},{10 + (i * 13) % 50}" for i in range(25)]
    second = [
        f"{12 + (i * 29) % 60}, {i}" for i in range(30)
    ]  # columns the other way round, spaces after commas
    total_a = sum(10 + (i * 13) % 50 for i in range(25))
    total_b = sum(12 + (i * 29) % 60 for i in range(30))
    growth = (total_b - total_a) / total_a * 100
    steps = [
        "assert len(all_sales) == 55 and 'year' in all_sales.columns, all_sales.columns",
        "assert sorted(set(int(y) for y in all_sales['year'])) == [2023, 2024], set(all_sales['year'])\n"
        "assert all_sales['units'].dtype.kind in 'iuf', all_sales.dtypes",
        _series_check("per_year", {"2023": total_a, "2024": total_b}),
        _PLOT,
        f"assert abs(float(growth) - {growth!r}) < 0.01, growth",
    ]
    request = (
        "sales_2023.csv and sales_2024.csv hold the units sold per order for two years. Load both and stack "
        "them into one DataFrame `all_sales` with a year column, compute the total units per year as "
        "`per_year`, plot it as a bar chart, and store the growth from 2023 to 2024 in percent in `growth`."
    )
    reference = (
        "import pandas as pd\na = pd.read_csv('sales_2023.csv').assign(year=2023)\n"
        "b = pd.read_csv('sales_2024.csv', skipinitialspace=True).assign(year=2024)\n"
        "all_sales = pd.concat([a, b], ignore_index=True)\nper_year = all_sales.groupby('year')['units'].sum()\n"
        "per_year.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\n"
        "growth = (per_year[2024] - per_year[2023]) / per_year[2023] * 100\n"
    )
    files = {
        "sales_2023.csv": _csv("order,units", *first),
        "sales_2024.csv": _csv("units, order", *second),
    }
    return _task("plan-two-years", request, files, steps, reference)


def _grades_letters() -> NotebookTask:
    rows, letters = [], Counter()
    for i in range(40):
        score = None if i % 10 == 7 else 45 + (i * 23) % 55
        rows.append(f"student{i},{'absent' if score is None else score}")
        if score is not None:
            letters["A" if score >= 90 else "B" if score >= 80 else "C" if score >= 70 else "F"] += 1
    steps = [
        "assert 'score' in grades.columns, grades.columns",
        f"assert len(grades) == {sum(letters.values())} and grades['score'].astype(float).notna().all(), len(grades)\n"
        "assert letter(95) == 'A' and letter(80) == 'B' and letter(70) == 'C' and letter(69.5) == 'F'",
        _series_check("letter_counts", dict(letters)),
        _PLOT,
        f"assert most_common_letter == {letters.most_common(1)[0][0]!r}, most_common_letter",
    ]
    request = (
        "Load grades.csv into `grades` and drop the students marked absent. Write a function `letter(score)` "
        "that gives 'A' for 90 or more, 'B' for 80 or more, 'C' for 70 or more and 'F' below, add a letter "
        "column with it, count the students per letter as `letter_counts`, plot the counts as a bar chart, "
        "and store the most common letter in `most_common_letter`."
    )
    reference = (
        "import pandas as pd\ngrades = pd.read_csv('grades.csv')\ngrades = grades[grades['score'] != 'absent'].copy()\n"
        "grades['score'] = grades['score'].astype(float)\n"
        "def letter(score):\n    return 'A' if score >= 90 else 'B' if score >= 80 else 'C' if score >= 70 else 'F'\n"
        "grades['letter'] = grades['score'].map(letter)\nletter_counts = grades['letter'].value_counts()\n"
        "letter_counts.plot.bar()\nimport matplotlib.pyplot as plt\nplt.show()\n"
        "most_common_letter = letter_counts.idxmax()\n"
    )
    return _task("plan-grades-letters", request, {"grades.csv": _csv("name,score", *rows)}, steps, reference)


PLAN_TASKS: list[NotebookTask] = [
    _sales_monthly(),
    _sensor_daily(),
    _product_prices(),
    _duplicate_orders(),
    _customers_join(),
    _latin1_cities(),
    _wide_to_long(),
    _thousands_density(),
    _events_hourly(),
    _refunds_weekday(),
    _two_years(),
    _grades_letters(),
]
