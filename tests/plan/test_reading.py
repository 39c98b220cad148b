"""Reading the model's plan: the numbered items are the steps, whatever decorates them; what is not a list
has no steps; a plan past the cap keeps every step, the extra ones joined into the last."""

import pytest

from oci_magic.plan.reading import fit_to_cap, read_plan


@pytest.mark.parametrize(
    "reply",
    [
        "1. Load the file\n2. Clean the dates\n3. Plot",
        "Here is the plan:\n\n1) Load the file\n2) Clean the dates\n3) Plot\n\nThen we are done.",
        "**1.** Load the file\n**2.** Clean the dates\n**3.** Plot",
        "Step 1: Load the file\nStep 2: Clean the dates\nStep 3: Plot",
        "### 1. Load the file\n### 2. Clean the dates\n### 3. Plot",
        "1. **Load the file**\n2. **Clean the dates**\n3. **Plot**",
    ],
)
def test_the_numbered_items_are_the_steps(reply):
    assert read_plan(reply) == ["Load the file", "Clean the dates", "Plot"]


def test_indented_details_belong_to_the_step_above():
    steps = read_plan(
        "1. Load sales.csv\n   - it uses ';' between fields\n2. Total per month\n- sort by month"
    )
    assert steps == ["Load sales.csv\nit uses ';' between fields", "Total per month\nsort by month"]


@pytest.mark.parametrize(
    "reply",
    [
        "```python\nimport pandas as pd\ndf = pd.read_csv('a.csv')\n```",  # code instead of a plan
        "I would load the file, clean it and plot it.",  # prose
        "```python\n1. not a step\n2. neither\n```",  # numbers inside code
        "",
    ],
)
def test_what_is_not_a_list_has_no_steps(reply):
    assert read_plan(reply) == []


def test_the_first_list_is_the_plan_and_code_between_items_is_skipped():
    reply = "1. Load\n```python\nx = 1\n```\n2. Plot\n\nAlternatively:\n1. Something else\n2. More"
    assert read_plan(reply) == ["Load", "Plot"]


def test_steps_past_the_cap_join_the_last_one_in_order():
    steps, said = fit_to_cap(["a", "b", "c\ndetail of c", "d", "e"], 3)
    assert steps == ["a", "b", "c; then d; then e\ndetail of c"]
    assert "planned 5 steps, more than plan_steps = 3: steps 3 to 5 run as step 3" in said
    assert fit_to_cap(["a", "b"], 3) == (["a", "b"], "")
