"""Notebooks executed by nbclient in a real ipykernel."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import scripted_setup
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def run_cli(notebook: Path, executed: Path, *, env: dict | None = None) -> subprocess.CompletedProcess:
    """`oci-magic run NOTEBOOK -o EXECUTED`, as a user types it; it must succeed and end cleanly (the
    output pipes close once the kernel has gone too, so what it prints on its way out is captured)."""
    command = [sys.executable, "-m", "oci_magic.cli", "run", str(notebook), "-o", str(executed)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Parent appears to have exited" not in done.stderr  # the kernel was shut down, not orphaned
    return done


def outputs_text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def test_quickstart_runs_end_to_end_through_the_cli(tmp_path):
    """README command 1's notebook on the default model (Qwen2.5-Coder-1.5B from the `coder` extra): every
    request answered, its rounds printed, the executed notebook written, and every outcome honest.

    On every machine: what the model writes is one machine's greedy text (llama.cpp's kernels differ
    between CPUs and GPUs), so whether a request passes is not asserted; what the mechanism guarantees is:
    each run ends with an outcome, "passed" only where the user's --check verified it, and a run that ran
    without error inserted its cell and showed what it plotted."""
    executed = tmp_path / "quickstart.executed.ipynb"
    # With a user's default settings (an empty IPython profile): the warm start on, as README command 1 runs.
    defaults = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    done = run_cli(ROOT / "examples" / "quickstart.ipynb", executed, env=defaults)
    assert "Kernel is running over TCP" not in done.stderr
    assert f"written to {executed}" in done.stdout
    # For each %%oci cell: each round's code, what it printed or raised, and its figures.
    assert done.stdout.count("── round 1 of 3 · ") == 4
    assert "  │ " in done.stdout and "tok/s" in done.stdout and "s to first token" in done.stdout
    notebook = nbformat.read(executed, as_version=4)
    oci_cells = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("%%oci")]
    assert len(oci_cells) == 4
    for cell in oci_cells:
        text = outputs_text(cell)
        assert "Qwen2.5 Coder 1.5B Instruct" in text and "\n══ " in text, text
        if "══ passed in round" in text:  # verified: only the user's check can, with one candidate
            assert "--check" in cell.source and "your check" in text, text
    plot = next(c for c in oci_cells if "bar chart" in c.source)
    if "══ ran without error in round" in outputs_text(plot):
        assert "image/png" in json.dumps(notebook.metadata["widgets"])  # the plot, in its round's tab
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code")


def scripted_backend_cell(*codes: str) -> str:
    """A cell that makes every later %%oci answer with these code blocks, in order."""
    replies = [f"Round {n}:\n```python\n{code}\n```" for n, code in enumerate(codes, 1)]
    return scripted_setup(replies) + "\nkept = 'user state'"


def scripted_notebook(codes: list[str], sources: list[str], *, settings: str = ""):
    """A notebook that loads oci_magic (with `settings`), installs a scripted backend, then has `sources`."""
    head = [
        new_code_cell(f"%load_ext oci_magic\n{settings}".strip()),
        new_code_cell(scripted_backend_cell(*codes)),
    ]
    return new_notebook(cells=head + [new_code_cell(source) for source in sources])


def test_a_failing_round_does_not_fail_the_cell_in_a_real_kernel():
    """The generated code's error is the loop's business: the %%oci cell itself succeeds, the kernel
    keeps the user's state, and the error is shown to the user (here by the text view)."""
    notebook = scripted_notebook(
        [
            "result = 1 / 0",
            "result = 42",
            "import time\ntime.sleep(60)",
            "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()",
        ],
        [
            "%%oci\nset result",
            "print(result, kept, _oci.status, [r.status for r in _oci.rounds])",
            "%%oci --rounds 1 --timeout 1\nwait a minute",
            "print(_oci.status, _oci.rounds[0].execution_time < 10)",
            "%%oci --rounds 1\nplot a line",
        ],
        settings="%config OciMagics.view = 'text'",
    )
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    assert outputs_text(notebook.cells[0]) == ""  # %load_ext prints nothing
    oci_outputs = notebook.cells[2].outputs
    assert any(o.output_type == "error" and o.ename == "ZeroDivisionError" for o in oci_outputs)
    assert "ran without error in round 2 of 3" in outputs_text(notebook.cells[2])
    assert outputs_text(notebook.cells[3]) == "42 user state passed ['failed', 'passed']\n"
    # the execution time limit works in the kernel too
    assert outputs_text(notebook.cells[5]) == "timeout True\n"
    # a plot made by generated code is displayed in the %%oci cell
    assert any("image/png" in o.get("data", {}) for o in notebook.cells[6].outputs)


def widget_states(notebook) -> dict:
    return notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]


def widget_tree(states: dict, model_id: str) -> dict:
    """A widget's saved state with its child widgets resolved, as a frontend would rebuild it."""

    def resolve(value):
        if isinstance(value, str) and value.startswith("IPY_MODEL_"):
            return widget_tree(states, value.removeprefix("IPY_MODEL_"))
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    saved = states[model_id]
    return {"model": saved["model_name"], **{k: resolve(v) for k, v in saved["state"].items()}}


def find(tree, model: str) -> list[dict]:
    """Every widget of a kind in a tree, depth first."""
    found = [tree] if isinstance(tree, dict) and tree.get("model") == model else []
    children = tree.get("children", []) if isinstance(tree, dict) else []
    for child in children:
        found += find(child, model)
    return found


def widget_output(cell) -> dict:
    (output,) = [o for o in cell.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    return output


def test_widget_in_a_real_kernel_keeps_every_round_in_its_state_and_fallback():
    notebook = scripted_notebook(
        [
            "print('first try')\nresult = 1 / 0",
            "import matplotlib.pyplot as plt\nprint('second try')\nplt.plot([1, 3, 2])\nresult = 42",
        ],
        ["%%oci\nset result and plot", "print(result, kept, [r.status for r in _oci.rounds])"],
    )
    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True).execute()
    oci_cell = notebook.cells[2]
    # the cell holds the widget and nothing else: the code's prints, plot and traceback are in the tabs
    assert len(oci_cell.outputs) == 1
    output = widget_output(oci_cell)
    assert outputs_text(notebook.cells[3]) == "42 user state ['failed', 'passed']\n"
    states = widget_states(notebook)
    view = widget_tree(states, output.data["application/vnd.jupyter.widget-view+json"]["model_id"])
    (tabs,) = find(view, "TabModel")
    assert tabs["titles"] == ["Round 1 ✗", "Round 2 ○"]
    first, second = tabs["children"]
    first_outputs = [o for w in find(first, "OutputModel") for o in w["outputs"]]
    assert {"name": "stdout", "output_type": "stream", "text": "first try\n"} in first_outputs
    assert any("ZeroDivisionError" in w["value"] for w in find(first, "HTMLModel"))
    second_outputs = [o for w in find(second, "OutputModel") for o in w["outputs"]]
    assert any("image/png" in o.get("data", {}) for o in second_outputs)  # the plot is in round 2's tab
    assert any("+result = 42" in o.get("data", {}).get("text/markdown", "") for o in second_outputs)  # diff
    # the static fallback tells the same story without widgets
    for code in ("result = 1 / 0", "result = 42"):
        assert code in output.data["text/plain"] and code in output.data["text/html"]
    assert "ran without error in round 2 of 3" in output.data["text/plain"]


def test_nbconvert_without_widget_state_shows_the_static_summary(tmp_path):
    notebook = scripted_notebook(["value = 1 / 0", "value = 2"], ["%%oci\nset value"])
    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=False).execute()
    from nbconvert import HTMLExporter, MarkdownExporter

    page, _ = HTMLExporter().from_notebook_node(notebook)
    assert "value = 1 / 0" in page and "ran without error in round 2 of 3" in page
    markdown, _ = MarkdownExporter().from_notebook_node(notebook)
    assert "value = 1 / 0" in markdown and "value = 2" in markdown


def test_refinement_example_keeps_its_rounds_in_widget_state_and_fallback(tmp_path):
    """examples/refinement.ipynb with the real default model, as a user would run it."""
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "data")
    shutil.copy(ROOT / "examples" / "refinement.ipynb", tmp_path)
    executed = tmp_path / "refinement.executed.ipynb"
    done = run_cli(tmp_path / "refinement.ipynb", executed)
    notebook = nbformat.read(executed, as_version=4)
    states = widget_states(notebook)
    oci_cells = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("%%oci")]
    assert len(oci_cells) == 2
    for cell in oci_cells:
        output = widget_output(cell)
        view = widget_tree(states, output.data["application/vnd.jupyter.widget-view+json"]["model_id"])
        (tabs,) = find(view, "TabModel")
        rounds = len(tabs["children"])
        assert 1 <= rounds <= 3
        assert [title.rsplit(" ", 1)[0] for title in tabs["titles"]] == [
            f"Round {n}" for n in range(1, rounds + 1)
        ]
        assert all(title[-1] in "✓○✗⏱■∅" for title in tabs["titles"])
        text = output.data["text/plain"]
        assert [f"── round {n} of 3" in text for n in range(1, rounds + 1)] == [True] * rounds
        assert "══ " in text and "══ " in done.stdout
    saved = nbformat.read(tmp_path / "refinement.run.ipynb", as_version=4)
    assert saved.cells[0].cell_type == "markdown" and "plot the total units" in saved.cells[0].source


def test_bench_prints_every_speed_figure_and_the_views(tmp_path):
    figures_file = tmp_path / "bench.json"
    # Gemma, the fastest real model: this checks the bench's figures, not a model's speed.
    command = [sys.executable, "-m", "oci_magic.cli", "bench", "--short", "--views", "--max-tokens", "24"]
    command += ["--model", "small"]
    command += ["--json", str(figures_file)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(figures_file.read_text())
    decode = figures["decode"]
    assert decode["tokens"] > 1
    assert decode["raw_tokens_per_second"] > 0 and decode["oci_tokens_per_second"] > 0
    repair = figures["repair"]
    assert 0 < repair["warm_evaluated"] < repair["cold_evaluated"] <= repair["prompt_tokens"]
    assert figures["startup"]["llama_cpp_imported"] is False and figures["startup"]["seconds"] > 0
    assert figures["memory"]["peak_above_baseline_bytes"] > figures["memory"]["kv_cache_bytes"] > 0
    assert figures["cold_load"]["seconds"] > figures["cold_load"]["load_seconds"] > 0
    assert 0 < figures["second_call"]["seconds"] < figures["second_call"]["cell_seconds"]
    for kind in ("repair", "fresh"):
        speculation = figures["speculation"][kind]
        assert speculation["on_tokens_per_second"] > 0 and speculation["off_tokens_per_second"] > 0
        assert 0 <= speculation["accepted"] <= speculation["drafted"]
    limit = figures["read_limit"]
    assert limit["read_bytes_per_second"] > 0  # a figure, printed; how fast is the machine's, not asserted
    assert 0 < limit["weight_bytes_per_token"] <= figures["memory"]["model_file_bytes"]
    steps = figures["plan"]["steps"]
    assert len(steps) == 5 and all(step["generated_tokens"] > 0 for step in steps)
    for before, now in zip(steps, steps[1:], strict=False):  # the prompt cache carries the plan's steps
        assert 0 < now["evaluated"] <= now["prompt_tokens"] - before["prompt_tokens"]
    for number in range(1, 12):
        assert f"\n{number} " in done.stdout
    assert "(2)/(1) = " in done.stdout and "short mode" in done.stdout
    views = figures["views"]
    assert set(views["median_tokens_per_second"]) == {"quiet", "text", "widget"}
    assert all(speed > 0 for speed in views["median_tokens_per_second"].values())
    for view in ("quiet", "text", "widget"):
        assert f"\n{view} " in done.stdout
    assert "of its speed with no view" in done.stdout


def test_the_plan_example_runs_step_by_step_with_the_real_model(tmp_path):
    """examples/plan.ipynb with the real default model. Whatever the model writes, the plan is shown, each
    step that ran is a run of its own, and the plan is saved; the model's text decides only how far it got."""
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "data")
    shutil.copy(ROOT / "examples" / "plan.ipynb", tmp_path)
    executed = tmp_path / "plan.executed.ipynb"
    done = run_cli(tmp_path / "plan.ipynb", executed)
    notebook = nbformat.read(executed, as_version=4)
    (plan_cell,) = [
        c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("%%oci --plan")
    ]
    text = outputs_text(plan_cell)
    assert "oci · plan" in text and "══ plan" in text, text
    steps = [c for c in notebook.cells if c.source.startswith("[(step.index")][0]
    listed = outputs_text(steps)
    assert listed.startswith("[(1, "), listed
    saved = nbformat.read(tmp_path / "plan.run.ipynb", as_version=4)
    assert saved.cells[0].source.startswith("### `%%oci --plan`") and "Step 1 of" in "".join(
        c.source for c in saved.cells
    )
    assert "══ plan" in done.stdout
