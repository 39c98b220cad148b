"""The core (the loop, records, prompts, extraction, the conversation, the backends, the subprocess executor
and the checks around them) imports and runs with IPython, ipywidgets and ipykernel absent: it can serve a
script, a server or another frontend. Checked in a fresh process where importing them fails."""

import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parents[1]

SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("IPython", "ipywidgets", "ipykernel", "jupyter_client", "comm"):
            raise ImportError(f"{{name}} is blocked in this test")

sys.meta_path.insert(0, Blocked())
import oci_magic
from oci_magic import backends
from oci_magic.checks import outcome
from oci_magic.loop import conversation, extract, prompts, records
from oci_magic.notebook import peeks
from oci_magic.backends import llamacpp, remote
from oci_magic.executors.subprocess import SubprocessExecutor
from oci_magic.loop.run import LoopSettings, run_request
from helpers import ScriptedBackend

fence = "```"
replies = [f"{{fence}}python\\nprint(1 / 0)\\n{{fence}}", f"{{fence}}python\\nprint(6 * 7)\\n{{fence}}"]
backend = ScriptedBackend(replies)
chat = conversation.Conversation()
chat.use_system_prompt(prompts.SYSTEM_PROMPT)
run = run_request("print six times seven", backend=backend, executor=SubprocessExecutor(), conversation=chat)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("IPython", "ipywidgets", "ipykernel"))
print("RESULT " + json.dumps({{"status": run.status, "rounds": [r.status for r in run.rounds],
                               "output": run.rounds[-1].output, "loaded": loaded}}))
"""


def test_the_core_imports_and_runs_a_request_without_ipython(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(tests=str(TESTS))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(lines[0][len("RESULT ") :])
    assert result == {"status": "passed", "rounds": ["failed", "passed"], "output": "42\n", "loaded": []}
