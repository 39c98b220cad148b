"""%%oci in every IPython shell class: the base InteractiveShell (embedded IPython, some test tools), the
terminal's, and ipykernel's (driven in tests/test_survival.py and others). Each runs in its own process, as a
user would have it: one shell per process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parents[1]

SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from {module} import {cls} as Shell
from helpers import ScriptedBackend
import oci_magic

shell = Shell()
shell.run_line_magic("load_ext", "oci_magic")
had_ask_exit = hasattr(shell, "ask_exit")
fence = "```"
replies = [f"{{fence}}python\\nexit()\\n{{fence}}", f"{{fence}}python\\nx = 6 * 7\\nprint(x)\\n{{fence}}"]
oci_magic.set_backend(ScriptedBackend(replies))
shell.run_cell("%%oci --cells none\\nSet x to 42.")
run = oci_magic.last_run()
print("RESULT " + json.dumps({{
    "status": run.status,
    "rounds": [r.status for r in run.rounds],
    "first_error": str(run.rounds[0].error),
    "x": shell.user_ns.get("x"),
    "ask_exit_as_before": hasattr(shell, "ask_exit") == had_ask_exit,
}}))
"""


@pytest.mark.parametrize(
    "module, cls",
    [
        ("IPython.core.interactiveshell", "InteractiveShell"),
        ("IPython.terminal.interactiveshell", "TerminalInteractiveShell"),
    ],
)
def test_oci_runs_and_guards_in_every_ipython_shell(module, cls, tmp_path):
    script = SCRIPT.format(tests=str(TESTS), module=module, cls=cls)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(lines[0][len("RESULT ") :])
    assert result["rounds"] == ["failed", "passed"] and result["status"] == "passed", result
    assert result["first_error"].startswith("KernelExitBlocked: exit() or quit() was called")
    assert result["x"] == 42 and result["ask_exit_as_before"]
