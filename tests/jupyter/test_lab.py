"""End to end in real JupyterLab and real Chromium: the widget, live cell insertion, the sidebar's prompt
box, "Fix this error", and the fallback with the extension disabled. Screenshots go to test-artifacts/."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from helpers import scripted_setup
from nbformat.v4 import new_code_cell, new_notebook

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Milliseconds to wait for JupyterLab: what takes seconds on a quiet machine can take minutes on a loaded
# one (the other core busy with a model). Waits end as soon as their condition holds: only a failure waits
# this long.
SLOW_MACHINE_TIMEOUT = 180_000
# For the real model: the quickstart's four requests take about a minute on a quiet AVX-512 machine,
# several minutes on one with half the decode speed (AMX kind), and longer under load.
REAL_MODEL_TIMEOUT = 1_800_000


def scripted_cell(*codes: str) -> str:
    return scripted_setup([f"Here:\n```python\n{code}\n```" for code in codes])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1, started and stopped by the test."""

    def __init__(self, root: Path, config_dir: Path | None = None, settings: dict | None = None) -> None:
        self.root, self.port = root, free_port()
        env = dict(os.environ)
        # No "official Jupyter news?" toast over the screenshots.
        notifications = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
        notifications.mkdir(parents=True, exist_ok=True)
        (notifications / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        env["JUPYTERLAB_SETTINGS_DIR"] = str(root / ".lab-settings")
        if (
            settings is not None
        ):  # the user's settings of the oci-magic plugin, as the settings editor saves them
            (root / ".lab-settings" / "oci-magic").mkdir(parents=True, exist_ok=True)
            (root / ".lab-settings" / "oci-magic" / "plugin.jupyterlab-settings").write_text(
                json.dumps(settings)
            )
        if config_dir is not None:
            env["JUPYTER_CONFIG_DIR"] = str(config_dir)
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip", "127.0.0.1"]
        command += [f"--port={self.port}", "--IdentityProvider.token=", "--ServerApp.password="]
        command += ["--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}"]
        self.log = open(root / "lab.log", "w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


class Notebook:
    """A notebook open in JupyterLab, driven through JupyterLab's own commands."""

    def __init__(self, browser, lab: Lab, name: str, sources: list[str] | None) -> None:
        """Open `name`, first written with a code cell per source (None: the file is already there)."""
        if sources is not None:
            kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
            cells = [new_code_cell(source) for source in sources]
            nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), lab.root / name)
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # A loaded 2-core machine takes far longer than Playwright's default 30 s to open JupyterLab.
        self.page.set_default_timeout(SLOW_MACHINE_TIMEOUT)
        # A workspace of its own: JupyterLab would otherwise reopen the notebooks of earlier tests.
        workspace = Path(name).stem
        self.page.goto(f"http://127.0.0.1:{lab.port}/lab/workspaces/{workspace}/tree/{name}?reset")
        self.page.wait_for_function(
            "() => window.jupyterapp?.shell.currentWidget?.content?.widgets?.length > 0"
        )
        self.wait_idle()

    def wait_idle(self, timeout: float = SLOW_MACHINE_TIMEOUT) -> None:
        self.page.wait_for_function(
            "() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
            " return s.session?.kernel?.status === 'idle' && !s.pendingInput; }",
            timeout=timeout,
        )
        time.sleep(1)  # FACTS: give a fresh kernel a moment before typing

    def run_cell(self, index: int) -> None:
        self.page.evaluate(
            "(i) => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = i;"
            " window.jupyterapp.commands.execute('notebook:run-cell'); }",
            index,
        )
        time.sleep(0.5)
        self.wait_idle()

    def cells(self) -> list[dict]:
        return self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells"
            ".map(c => ({source: c.getSource(), metadata: c.toJSON().metadata}))"
        )

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def inserted(cells: list[dict]) -> list[dict]:
    return [c for c in cells if "oci_magic" in c["metadata"]]


def test_a_run_shows_its_rounds_and_inserts_its_cells_live(browser, lab):
    notebook = Notebook(
        browser,
        lab,
        "story.ipynb",
        ["%load_ext oci_magic", scripted_cell("x = 1 / 0", "x = 2"), "%%oci --cells all\nset x"],
    )
    for index in range(3):
        notebook.run_cell(index)
    page = notebook.page
    page.locator(".jp-Notebook").get_by_text("ran without error in round 2 of 3").first.wait_for()
    assert page.locator(".lm-TabBar-tab", has_text="Round 1 ✗").count() == 1
    assert page.locator(".lm-TabBar-tab", has_text="Round 2 ○").count() == 1
    cells = notebook.cells()
    marks = [c["metadata"]["oci_magic"] for c in inserted(cells)]
    assert [(m["round"], m["status"]) for m in marks] == [(1, "failed"), (2, "passed")]
    assert [c["source"] for c in cells[3:]] == [
        "# %%oci round 1 of 3 · ✗ ZeroDivisionError: division by zero\nx = 1 / 0",
        "x = 2",
    ]  # right below the %%oci cell, in round order, no duplicate from set_next_input
    notebook.screenshot("widget-story.png")
    page.close()


def test_the_sidebar_prompt_box_asks_in_a_new_cell(browser, lab):
    notebook = Notebook(
        browser, lab, "sidebar.ipynb", ["%load_ext oci_magic", scripted_cell("total = 6 * 7")]
    )
    notebook.run_cell(0)
    notebook.run_cell(1)
    page = notebook.page
    page.evaluate("() => window.jupyterapp.shell.activateById('oci-magic-sidebar')")
    sidebar = page.locator("#oci-magic-sidebar")
    sidebar.get_by_text("Ready").wait_for()
    prompt = sidebar.locator("textarea")
    prompt.fill("multiply six by seven")
    prompt.press("Enter")
    sidebar.get_by_text("ran without error in round 1 of 3").wait_for(timeout=60_000)
    notebook.wait_idle()
    sources = [c["source"] for c in notebook.cells()]
    assert "%%oci\nmultiply six by seven" in sources and sources[-1] == "total = 6 * 7"
    notebook.screenshot("sidebar.png")
    page.close()


def test_fix_this_error_repairs_a_failing_cell(browser, lab):
    notebook = Notebook(
        browser,
        lab,
        "fix.ipynb",
        ["%load_ext oci_magic", scripted_cell("ratio = 1 / 2"), "ratio = 1 / 0"],
    )
    for index in range(3):
        notebook.run_cell(index)
    page = notebook.page
    page.evaluate(
        "() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 2;"
        " window.jupyterapp.commands.execute('oci-magic:fix-cell'); }"
    )
    page.locator(".jp-Notebook").get_by_text("ran without error in round 1 of 3").first.wait_for(
        timeout=60_000
    )
    notebook.wait_idle()
    cells = notebook.cells()
    assert cells[3]["source"].startswith("%oci fix ")
    assert [c["source"] for c in inserted(cells)] == ["ratio = 1 / 2"]
    page.close()


def test_undo_in_the_sidebar_removes_the_cells_and_asks_about_an_edited_one(browser, lab):
    notebook = Notebook(
        browser,
        lab,
        "undo.ipynb",
        [
            "%load_ext oci_magic",
            "items = [1]\n" + scripted_cell("items.append(2)", "items.append(3)"),
            "%%oci\nappend two",
            "%%oci\nappend three",
        ],
    )
    for index in range(3):
        notebook.run_cell(index)
    notebook.run_cell(4)  # the fourth cell moved down below the first run's inserted cell
    page = notebook.page
    assert [c["source"] for c in inserted(notebook.cells())] == ["items.append(2)", "items.append(3)"]
    # the user edits the second run's cell, then asks to undo the first run (the second goes first)
    page.evaluate(
        "() => { const cells = window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells;"
        " cells[5].setSource('items.append(3)  # mine'); }"
    )
    page.evaluate("() => window.jupyterapp.shell.activateById('oci-magic-sidebar')")
    sidebar = page.locator("#oci-magic-sidebar")
    sidebar.get_by_text("undo: holds").wait_for()
    first_run = sidebar.locator("details.oci-Sidebar-run").last
    first_run.locator("summary").click()
    first_run.get_by_role("button", name="Undo").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text("was edited since oci inserted it").wait_for()
    notebook.screenshot("undo-asks.png")
    dialog.get_by_role("button", name="Keep it").click()
    sidebar.get_by_text("removed 1 cell.").wait_for()  # the first run's, as inserted
    assert "removed 0 cells, kept 1 you edited" in sidebar.locator(".oci-Sidebar-notice").inner_text()
    sources = [c["source"] for c in notebook.cells()]
    assert "items.append(2)" not in sources and "items.append(3)  # mine" in sources
    assert "undid run" in sidebar.locator(".oci-Sidebar-notice").inner_text()
    assert sidebar.get_by_text("(undone)").count() == 2
    # the kernel has its list back as it was before both runs
    page.evaluate(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content;"
        " nb.model.sharedModel.insertCell(nb.model.sharedModel.cells.length, "
        "{cell_type: 'code', source: 'print(\"items are\", items)'}); }"
    )
    notebook.run_cell(len(sources))
    page.locator(".jp-Notebook").get_by_text("items are [1]").wait_for()
    notebook.screenshot("undo-done.png")
    page.close()


def test_a_plan_from_the_sidebar_inserts_a_cell_per_step_and_continues_where_it_stopped(browser, lab):
    fence = "```"
    code = [
        f"Here:\n{fence}python\n{line}\n{fence}"
        for line in (
            "nums = list(range(1, 6))",
            "total = sum(nums) + offset",
            "total = sum(nums) + offset * 1",
            "total = offset + sum(nums)",
            "print('total is', total)",
        )
    ]
    plan = "1. Make `nums`, the numbers 1 to 5\n2. Compute `total` with the offset\n3. Print `total`"
    notebook = Notebook(browser, lab, "plan.ipynb", ["%load_ext oci_magic", scripted_setup([plan, *code])])
    notebook.run_cell(0)
    notebook.run_cell(1)
    page = notebook.page
    page.evaluate("() => window.jupyterapp.shell.activateById('oci-magic-sidebar')")
    sidebar = page.locator("#oci-magic-sidebar")
    sidebar.get_by_text("Ready").wait_for()
    sidebar.locator("input.oci-Sidebar-planInput").check()
    prompt = sidebar.locator("textarea")
    prompt.fill("make the numbers, total them with the offset, print the total")
    prompt.press("Enter")
    plan_node = sidebar.locator(".oci-Sidebar-plan")
    plan_node.get_by_role("button", name="Continue").wait_for(timeout=120_000)
    notebook.wait_idle()
    assert plan_node.locator("[data-oci-step='1']").get_attribute("data-oci-step-status") == "passed"
    assert plan_node.locator("[data-oci-step='2']").get_attribute("data-oci-step-status") == "failed"
    assert plan_node.locator("[data-oci-step='3']").get_attribute("data-oci-step-status") == "waiting"
    cells = notebook.cells()
    assert cells[2]["source"] == "%%oci --plan\nmake the numbers, total them with the offset, print the total"
    mine = inserted(cells)
    assert [c["source"].splitlines()[0] for c in mine[:3]] == [
        "#### Step 1 of 3: Make `nums`, the numbers 1 to 5",
        "nums = list(range(1, 6))",
        "#### Step 2 of 3: Compute `total` with the offset",
    ]
    assert [c["metadata"]["oci_magic"]["step"] for c in mine] == [1, 1, 2, 2]
    failed = mine[3]["source"]  # the failed step's last code, marked as not working
    assert failed.startswith("# %%oci failed after 3 rounds") and failed.endswith(
        "total = offset + sum(nums)"
    )
    notebook.screenshot("plan-stopped.png")
    # The user defines what step 2 needed, below, then asks the sidebar to continue.
    page.evaluate(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content;"
        " nb.model.sharedModel.insertCell(nb.model.sharedModel.cells.length, "
        "{cell_type: 'code', source: 'offset = 100'}); }"
    )
    notebook.run_cell(len(cells))
    plan_node.get_by_role("button", name="Continue").click()
    sidebar.locator(".oci-Sidebar-plan[data-oci-plan-status='passed']").wait_for(timeout=120_000)
    notebook.wait_idle()
    cells = notebook.cells()
    assert cells[-1]["source"] == "%oci plan continue"
    titles = [c["source"] for c in inserted(cells) if c["source"].startswith("####")]
    assert titles == [
        "#### Step 1 of 3: Make `nums`, the numbers 1 to 5",
        "#### Step 2 of 3: Compute `total` with the offset",
        "#### Step 2 of 3: Compute `total` with the offset (attempt 2)",
        "#### Step 3 of 3: Print `total`",
    ]
    # The steps run by %oci plan continue land with the plan's cells, above the user's and the continue cell.
    sources = [c["source"] for c in cells]
    assert sources.index("#### Step 3 of 3: Print `total`") < sources.index("offset = 100")
    assert "print('total is', total)" in sources
    page.locator(".jp-Notebook").get_by_text("total is 115").first.wait_for()
    notebook.screenshot("plan-continued.png")
    page.close()


def test_without_the_extension_the_fallback_inserts_one_cell(browser, tmp_path):
    config = tmp_path / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"oci-magic": True}})
    )
    root = tmp_path / "root"
    root.mkdir()
    server = Lab(root, config_dir=config)
    try:
        notebook = Notebook(
            browser, server, "plain.ipynb", ["%load_ext oci_magic", scripted_cell("z = 3"), "%%oci\nset z"]
        )
        for index in range(3):
            notebook.run_cell(index)
        notebook.page.locator(".jp-Notebook").get_by_text(
            "ran without error in round 1 of 3"
        ).first.wait_for()
        assert notebook.page.locator("#oci-magic-sidebar").count() == 0
        cells = notebook.cells()
        assert [c["source"] for c in cells[3:]] == ["z = 3"] and not inserted(cells)
        notebook.page.close()
    finally:
        server.stop()


def test_the_quickstart_example_with_the_real_model(browser, lab):
    """examples/quickstart.ipynb as a user runs it: the default model, the widget, cells inserted live."""
    shutil.copytree(ROOT / "examples" / "data", lab.root / "data", dirs_exist_ok=True)
    shutil.copy(ROOT / "examples" / "quickstart.ipynb", lab.root / "quickstart.ipynb")
    notebook = Notebook(browser, lab, "quickstart.ipynb", None)
    notebook.run_cell(1)  # %load_ext: the extension connects once it has run
    page = notebook.page
    page.evaluate(
        "() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 2;"
        " window.jupyterapp.commands.execute('notebook:run-all-below'); }"
    )
    page.wait_for_function(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content;"
        " return nb.widgets.filter(c => c.model.type === 'code' && !c.model.getMetadata('oci_magic'))"
        ".every(c => c.model.executionCount !== null); }",
        timeout=REAL_MODEL_TIMEOUT,
    )  # every cell of the example has run (the inserted ones are never run)
    notebook.wait_idle(timeout=REAL_MODEL_TIMEOUT)
    cells = notebook.cells()
    runs = [c for c in cells if c["source"].startswith("%%oci")]
    assert len(runs) == 4
    # Read from the notebook's model: JupyterLab does not render cells scrolled out of view.
    summaries = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells"
        ".filter(c => c.getSource().startsWith('%%oci')).map(c => JSON.stringify(c.toJSON().outputs))"
    )
    # Whether a request passes is one machine's greedy text (llama.cpp's kernels differ between CPUs and
    # GPUs): not asserted. Each run ends with an outcome, "passed" only where the user's check verified it,
    # and a run whose code ran without error has its final cell, inserted by the comm, marked so.
    outcomes = ("passed in round", "ran without error", "failed after", "timed out in round", "no code in")
    assert len(summaries) == 4 and all(any(o in text for o in outcomes) for text in summaries), summaries
    for cell, text in zip(runs, summaries, strict=True):
        if "passed in round" in text:
            assert "--check" in cell["source"] and "your check" in text, text
    marks = [c["metadata"]["oci_magic"] for c in inserted(cells)]
    ran = sum("passed in round" in text or "ran without error in round" in text for text in summaries)
    assert all(m["model"] for m in marks) and sum(m["status"] == "passed" for m in marks) == ran
    # The sidebar names the model and why it was chosen.
    page.evaluate("() => window.jupyterapp.shell.activateById('oci-magic-sidebar')")
    sidebar = page.locator("#oci-magic-sidebar")
    why = "qwen-coder-1.5b, the best model installed (oci-magic[coder])"
    sidebar.get_by_text(why).wait_for()
    notebook.screenshot("quickstart.png")
    page.close()


def test_a_kernel_restart_mid_run_leaves_no_spinner(browser, lab):
    slow = (
        "import oci_magic, time\n"
        "class Slow(oci_magic.Backend):\n"
        "    name = 'slow'\n"
        "    def stream_chat(self, messages, **options):\n"
        "        for _ in range(600):\n"
        "            time.sleep(0.1)\n"
        "            yield 'word '\n"
        "oci_magic.set_backend(Slow())"
    )
    notebook = Notebook(browser, lab, "restart.ipynb", ["%load_ext oci_magic", slow, "%%oci\ntake your time"])
    notebook.run_cell(0)
    notebook.run_cell(1)
    page = notebook.page
    page.evaluate("() => window.jupyterapp.shell.activateById('oci-magic-sidebar')")
    page.evaluate(
        "() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 2;"
        " window.jupyterapp.commands.execute('notebook:run-cell'); }"
    )
    sidebar = page.locator("#oci-magic-sidebar")
    sidebar.get_by_text("Running").wait_for()
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
    sidebar.get_by_text("oci-magic is not loaded in this kernel").wait_for(timeout=60_000)
    assert sidebar.get_by_text("Running").count() == 0
    assert sidebar.get_by_role("button", name="Load oci-magic").is_visible()
    page.close()


def test_settings_from_jupyterlab_reach_the_kernel(browser, tmp_path):
    server = Lab(tmp_path, settings={"maxRounds": 5, "temperature": 0.5})
    try:
        notebook = Notebook(
            browser, server, "settings.ipynb", ["%load_ext oci_magic", scripted_cell("a = 1")]
        )
        notebook.run_cell(0)
        notebook.run_cell(1)  # by now the kernel has read the extension's hello and settings
        page = notebook.page
        page.evaluate(
            "() => { const nb = window.jupyterapp.shell.currentWidget.content;"
            " nb.model.sharedModel.insertCell(2, {cell_type: 'code', source: '%%oci\\nset a'}); }"
        )
        notebook.run_cell(2)
        page.locator(".jp-Notebook").get_by_text("ran without error in round 1 of 5").first.wait_for()
        page.evaluate(
            "() => { const nb = window.jupyterapp.shell.currentWidget.content;"
            " nb.model.sharedModel.insertCell(4, {cell_type: 'code', source: "
            '\'print(_oci.settings["temperature"], _oci.settings["max_rounds"])\'}); }'
        )
        notebook.run_cell(4)
        assert "0.5 5" in page.locator(".jp-Notebook .jp-OutputArea-output").last.inner_text()
        page.close()
    finally:
        server.stop()


def test_confirm_asks_in_jupyterlab_input_box(browser, lab):
    """--confirm asks through the kernel's input request: JupyterLab shows its stdin box under the cell."""
    sources = [
        "%load_ext oci_magic",
        scripted_cell("answer = 6 * 7\nprint('ran', answer)", "never = True"),
        "%%oci --confirm --cells none\nset the answer",
        "%%oci --confirm --new --cells none\nset never",
        "print('answer' in globals(), 'never' in globals(), _oci.status)",
    ]
    notebook = Notebook(browser, lab, "confirm.ipynb", sources)
    page = notebook.page
    notebook.run_cell(0)
    notebook.run_cell(1)
    for index, answer in ((2, "y"), (3, "n")):
        page.evaluate(
            "(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i;"
            " window.jupyterapp.commands.execute('notebook:run-cell'); }",
            index,
        )
        box = page.locator(".jp-Stdin-input").last
        box.wait_for(timeout=60_000)
        assert "run the code of round 1?" in page.locator(".jp-Stdin-prompt").last.inner_text()
        box.fill(answer)
        box.press("Enter")
        notebook.wait_idle()
    notebook.screenshot("confirm.png")
    notebook.run_cell(4)
    output = page.locator(".jp-Cell").nth(4).locator(".jp-OutputArea-output").inner_text()
    assert "True False declined" in output
    page.close()


@pytest.fixture(scope="module")
def lab_with_suggestions(tmp_path_factory):
    """JupyterLab with only oci-magic's inline provider on (JupyterLab's kernel-history one off, so that
    the ghost text can only come from the model)."""
    root = tmp_path_factory.mktemp("lab-suggestions")
    inline = root / ".lab-settings" / "@jupyterlab" / "completer-extension"
    inline.mkdir(parents=True)
    providers = {"@jupyterlab/inline-completer:history": {"enabled": False}, "oci-magic": {"enabled": True}}
    (inline / "inline-completer.jupyterlab-settings").write_text(json.dumps({"providers": providers}))
    server = Lab(root)
    yield server
    server.stop()


GHOST = ".jp-GhostText"


def test_ghost_text_from_the_real_model_tab_accepts_it_typing_on_replaces_it(browser, lab_with_suggestions):
    """Type in a cell: the real 0.5B suggests a continuation as ghost text, Tab puts it in the cell, and
    typing something else makes that suggestion go. What the model suggests is one machine's greedy text:
    asserted is that a suggestion appears, continues the typed text, and is what Tab inserts."""
    setup = "%load_ext oci_magic\n%oci model qwen-coder-0.5b"
    data = "import pandas as pd\nsales = pd.DataFrame({'region': ['north', 'south'], 'units': [3, 4]})"
    notebook = Notebook(browser, lab_with_suggestions, "ghost.ipynb", [setup, data, ""])
    notebook.run_cell(0)
    notebook.run_cell(1)
    page = notebook.page
    page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 2; }")
    editor = page.locator(".jp-Cell").nth(2).locator(".cm-content")
    editor.click()
    typed = "totals = sales.groupby('region')['units']."
    page.keyboard.type(typed, delay=20)
    ghost = page.locator(GHOST).first
    ghost.wait_for(timeout=REAL_MODEL_TIMEOUT)
    page.wait_for_function(
        f"() => document.querySelector('{GHOST}')?.textContent.trim().length > 0", timeout=REAL_MODEL_TIMEOUT
    )
    time.sleep(3)  # let the suggestion finish streaming
    suggested = page.locator(GHOST).first.text_content()
    notebook.screenshot("ghost-text.png")
    page.keyboard.press("Tab")
    source = notebook.cells()[2]["source"]
    assert source.startswith(typed) and len(source) > len(typed), source
    assert suggested.strip() and suggested.strip() in source[len(typed) :] + " ", (suggested, source)
    # The sidebar says suggestions are on, from which model, and what their context holds.
    page.evaluate("() => window.jupyterapp.shell.activateById('oci-magic-sidebar')")
    page.locator("#oci-magic-sidebar").get_by_text("Suggestions: on as you type").wait_for()
    page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 2; }")
    editor.click()
    page.keyboard.press("ControlOrMeta+End")
    # Typing on: a new suggestion is asked for the new text, and the accepted one's ghost is gone.
    page.keyboard.press("Enter")
    page.keyboard.type("print(", delay=20)
    page.wait_for_function(
        f"(old) => document.querySelector('{GHOST}')?.textContent !== old",
        arg=suggested,
        timeout=SLOW_MACHINE_TIMEOUT,
    )
    page.close()
