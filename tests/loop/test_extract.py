import pytest

from oci_magic.loop.extract import extract_code, prose

FENCE = "```"


@pytest.mark.parametrize(
    "reply, code",
    [
        (f"Here you go:\n{FENCE}python\nprint(1)\n{FENCE}\nDone.", "print(1)"),
        (f"{FENCE}py\nx = 2\n{FENCE}", "x = 2"),
        (f"{FENCE}Python3\nx = 3\n{FENCE}", "x = 3"),
        (f"{FENCE}\ny = [1, 2]\n{FENCE}", "y = [1, 2]"),
        # small models label code as markdown
        (f"{FENCE}markdown\ndef f():\n    return 1\n{FENCE}", "def f():\n    return 1"),
        # several blocks are joined in order
        (
            f"Define:\n{FENCE}python\ndef f(x):\n    return x\n{FENCE}\nCall:\n{FENCE}python\nf(3)\n{FENCE}",
            "def f(x):\n    return x\n\nf(3)",
        ),
        # a reply cut off by max_tokens, or by a stop string that ate the closing fence
        (f"{FENCE}python\nimport os\nprint(os.sep)", "import os\nprint(os.sep)"),
        # bare code
        ("import math\nprint(math.pi)", "import math\nprint(math.pi)"),
        # console prompts copied from docs
        (f"{FENCE}python\n>>> x = 1\n>>> print(x)\n{FENCE}", "x = 1\nprint(x)"),
        # other languages and prose are not Python
        (f"{FENCE}bash\npip install pandas\n{FENCE}", None),
        (f"{FENCE}markdown\n# Title\nSome words here.\n{FENCE}", None),
        (f"{FENCE}text\nx = 1\n{FENCE}", None),
        ("I cannot help with that.", None),
        ("Sure", None),
        ("42", None),
        ("", None),
        (f"{FENCE}python\n\n{FENCE}", None),
        # a python block beside a shell block: only the python
        (f"{FENCE}bash\npip install x\n{FENCE}\n{FENCE}python\nimport x\n{FENCE}", "import x"),
        # the output the model says its code prints, in an unlabelled fence: a table, an array, values
        (
            f"{FENCE}python\nprint(df)\n{FENCE}\nThis will output:\n{FENCE}\n   a  b\n0  1  2\n{FENCE}",
            "print(df)",
        ),
        (f"{FENCE}python\nprint(a)\n{FENCE}\nOutput:\n{FENCE}\n[[2. 3.]\n [2. 3.]]\n{FENCE}", "print(a)"),
        (f"{FENCE}\nprint(sorted(x))\n{FENCE}\ngives\n{FENCE}\n[1, 2, 3]\n{FENCE}", "print(sorted(x))"),
        (f"{FENCE}python\nx = f(\n{FENCE}\nprints\n{FENCE}\n0.5\n{FENCE}", "x = f("),  # the broken code
        # an unlabelled block that does not parse, alone: the program to repair, not output
        (f"{FENCE}\nfor x in y\n    print(x)\n{FENCE}", "for x in y\n    print(x)"),
        # values alone are code when nothing else is: `[1, 2]` may be the answer the cell shows
        (f"{FENCE}\n[1, 2]\n{FENCE}", "[1, 2]"),
    ],
)
def test_extract_code(reply, code):
    assert extract_code(reply) == code


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Here it is:\n```python\nx = 1\n```\nIt sets x.", "Here it is:\n\nIt sets x."),
        ("```python\nx = 1\n```", ""),
        ("x = 1\nprint(x)", ""),  # a bare-code reply is all code
        ("I cannot do that.", "I cannot do that."),
        (
            "Run:\n```bash\npip install x\n```\nthen\n```python\nimport x\n```",
            "Run:\n```bash\npip install x\n```\nthen",
        ),
        # the output the model shows stays in what it says
        (
            "```python\nprint(1)\n```\nThis prints:\n```\n1 2\n```",
            "This prints:\n```\n1 2\n```",
        ),
    ],
)
def test_prose_is_the_reply_without_its_code(reply, expected):
    assert prose(reply) == expected


def test_a_snippet_then_the_whole_program_takes_the_program():
    reply = (
        "The file is separated by semicolons:\n```python\nsales = pd.read_csv('s.csv', sep=';')\n```\n"
        "The corrected code:\n```python\nimport pandas as pd\nsales = pd.read_csv('s.csv', sep=';')\n"
        "totals = sales.groupby('region')['amount'].sum()\n```\n"
    )
    assert extract_code(reply) == (
        "import pandas as pd\nsales = pd.read_csv('s.csv', sep=';')\n"
        "totals = sales.groupby('region')['amount'].sum()"
    )


def test_an_alternative_after_the_program_is_left_out():
    reply = (
        "```python\nimport pandas as pd\ndf = pd.read_csv('a.csv', encoding='latin-1')\n```\n"
        "Alternatively:\n```python\nimport pandas as pd\ndf = pd.read_csv('a.csv', encoding='cp1252')\n```"
    )
    assert extract_code(reply) == "import pandas as pd\ndf = pd.read_csv('a.csv', encoding='latin-1')"


def test_steps_that_build_on_each_other_are_joined():
    reply = (
        "```python\nimport pandas as pd\ndf = pd.read_csv('a.csv')\n```\nThen clean it:\n"
        "```python\ndf = df.dropna()\nprint(df)\n```"
    )
    assert (
        extract_code(reply) == "import pandas as pd\ndf = pd.read_csv('a.csv')\n\ndf = df.dropna()\nprint(df)"
    )


def test_indented_option_blocks_are_left_out_when_the_reply_has_its_own_program():
    reply = (
        "Options:\n1. Use sep:\n   ```python\n   df = pd.read_csv('a.csv', sep=';')\n   ```\n"
        "2. Guess it:\n   ```python\n   df = pd.read_csv('a.csv', sep=None)\n   ```\n"
        "Full code:\n```python\nimport pandas as pd\ndf = pd.read_csv('a.csv', sep=';')\n```"
    )
    assert extract_code(reply) == "import pandas as pd\ndf = pd.read_csv('a.csv', sep=';')"
