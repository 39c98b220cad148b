"""The JupyterLab extension's own unit tests (jest, labextension/test/) run with the rest of the suite, so
that README command 2 covers the TypeScript too. The editable install built the extension with npm, so its
node_modules are there."""

import shutil
import subprocess
from pathlib import Path

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"


def test_the_extensions_jest_tests_pass():
    npm = shutil.which("npm")
    assert npm is not None, "node and npm are needed to build and test the JupyterLab extension"
    assert (LABEXTENSION / "node_modules").is_dir(), "run `pip install -e .` first: it runs npm install"
    done = subprocess.run(
        [npm, "test", "--silent", "--", "--ci"], cwd=LABEXTENSION, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
