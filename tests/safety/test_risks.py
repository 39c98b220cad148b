"""What code would do outside the kernel, read before it runs: every destructive or exfiltrating snippet of
the corpus asks; ordinary data work, reading files and writing a new file in the working folder do not."""

import pytest

from oci_magic.evaluation.risky_snippets import FOLDER, SNIPPETS
from oci_magic.safety.risks import risks


@pytest.fixture
def folder(tmp_path):
    for name, text in FOLDER.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("style, code", SNIPPETS, ids=[style for style, _ in SNIPPETS])
def test_each_destructive_or_exfiltrating_snippet_asks(style, code, folder):
    assert risks(code, {}, folder), style


ORDINARY = [
    "import pandas as pd\ndf = pd.read_csv('data.csv')\nprint(df.describe())",
    "totals = df.groupby('region')['amount'].sum()\ntotals.plot(kind='bar')",
    "import numpy as np\nx = np.linspace(0, 1, 5)\nx[x > 0.5] = 0",
    "items = [3, 1, 2]\nitems.remove(1)\nitems.sort()",
    "text = 'a,b'.replace(',', ';')\nparts = text.split(';')",
    "df.to_csv('clean.csv', index=False)",  # a new file in the working folder: what the user asked for
    "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('figure.png')",
    "with open('data.csv') as f:\n    rows = f.readlines()",
    "import os\nfiles = os.listdir('.')\nsize = os.path.getsize('data.csv')",
    "from pathlib import Path\nout = Path('report') / 'summary.txt'\nPath('report').mkdir(exist_ok=True)",
    "import os\nhome = os.environ.get('HOME')\nprint(os.getcwd())",
    "result = eval('1 + 2')",
    "d = {'a': 1}\nd.pop('a')\nd.update(b=2)",
    "import json\njson.dump(sorted(sales['region'].unique()), open('regions.json', 'w'))",
]


@pytest.mark.parametrize("code", ORDINARY)
def test_ordinary_data_work_runs_without_a_question(code, folder):
    assert risks(code, {"df": __import__("pandas").DataFrame({"region": ["n"], "amount": [1]})}, folder) == []


def test_a_write_asks_only_when_it_would_overwrite_or_land_outside_the_folder(folder):
    assert risks("df.to_csv('new.csv')", {}, folder) == []
    (overwrite,) = risks("df.to_csv('data.csv')", {}, folder)
    assert overwrite.kind == "overwrites" and overwrite.line == 1
    assert [r.kind for r in risks("open('../x.txt', 'w')", {}, folder)] == ["outside"]
    assert [r.kind for r in risks("open(name, 'w')", {}, folder)] == ["unknown_path"]


def test_paths_held_in_variables_and_built_with_slashes_are_followed(folder):
    assert [r.kind for r in risks("df.to_csv(path)", {"path": folder / "data.csv"}, folder)] == ["overwrites"]
    assert risks("df.to_csv(path)", {"path": "brand_new.csv"}, folder) == []
    code = "from pathlib import Path\nbase = Path('data')\n(base / 'raw.csv').write_text('')"
    assert [r.kind for r in risks(code, {}, folder)] == ["overwrites"]


def test_each_risk_says_its_line_why_and_what_the_model_is_told(folder):
    (risk,) = risks("x = 1\nimport shutil\nshutil.rmtree('data')", {}, folder)
    assert (risk.kind, risk.line, risk.code) == ("deletes", 3, "shutil.rmtree('data')")
    assert str(risk) == "line 3: deletes files or folders: `shutil.rmtree('data')`"
    assert risk.constraint == "do not delete files or folders"


def test_code_that_does_not_parse_does_nothing(folder):
    assert risks("shutil.rmtree('data'", {}, folder) == []


def test_a_writer_is_judged_by_the_path_it_is_given_wherever_it_stands(folder):
    assert risks("with open('model.pkl', 'wb') as f:\n    pickle.dump(model, f)", {}, folder) == []
    assert risks("tf.saved_model.save(model, 'export/1')", {}, folder) == []
    assert [r.kind for r in risks("np.save('data.csv', a)", {}, folder)] == ["overwrites"]
    assert [
        r.kind for r in risks("with open('notes.txt', 'w') as f:\n    pickle.dump(m, f)", {}, folder)
    ] == ["overwrites"]
