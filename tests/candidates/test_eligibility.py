"""When candidates cannot be tried in forks of the kernel, and the reason the user reads."""

import sqlite3
import threading

import numpy as np

from oci_magic.candidates import eligibility
from oci_magic.candidates.eligibility import why_not_tried

SAFE = "total = df_sum + 1"


def test_code_that_acts_outside_the_kernel_is_never_tried(tmp_path):
    namespace = {"df_sum": 1}
    cases = {
        "import pandas as pd\npd.DataFrame().to_csv('out.csv')": "writes a file",
        "import os\nos.remove('data.csv')": "changes files",
        "import shutil\nshutil.rmtree('folder')": "changes files",
        "import subprocess\nsubprocess.run(['ls'])": "runs a shell command",
        "import requests\nrequests.get('https://example.com')": "uses the network",
        "get_ipython().run_line_magic('pip', 'install polars')": "installs packages",
        "with open('notes.txt', 'w') as f:\n    f.write('x')": "writes a file",
    }
    for code, said in cases.items():
        reason = why_not_tried([SAFE, code], namespace)
        assert reason is not None and reason.startswith(f"a candidate {said}"), (code, reason)
        assert "a trial run would do it for real" in reason
    assert why_not_tried([SAFE, "total = df_sum * 2"], namespace) is None


def test_inputs_a_fork_cannot_be_given(tmp_path):
    handle = open(tmp_path / "f.txt", "w")  # noqa: SIM115 - an open file is the point
    connection = sqlite3.connect(":memory:")
    thread = threading.Thread(target=lambda: None)
    try:
        for name, value, said in (
            ("rows", iter([1, 2]), "an iterator"),
            ("gen", (x for x in range(3)), "an iterator"),
            ("handle", handle, "an open file or socket"),
            ("db", connection, "a database connection"),
            ("worker", thread, "a thread"),
        ):
            reason = why_not_tried([f"result = {name}"], {name: value})
            assert reason.startswith(f"`{name}` is {said}") and reason.endswith(
                "which a trial cannot be given"
            )
        # Only what the code reads counts: an iterator it does not touch is no obstacle.
        assert why_not_tried(["result = 1"], {"rows": iter([1])}) is None
    finally:
        handle.close()
        connection.close()


def test_inputs_too_large_for_the_trials(monkeypatch):
    monkeypatch.setattr(eligibility, "_free_memory", lambda: 4 * 2**20)
    data = np.zeros(2**20 // 8)  # 1 MiB: four trials could need all of the 4 MiB free
    reason = why_not_tried(["a = data.sum()"] * 4, {"data": data})
    assert reason == "the inputs take 1.0 MB: 4 trials could need more than half the 4.0 MB of memory free"
    assert why_not_tried(["a = data.sum()"] * 2, {"data": data}) is None
