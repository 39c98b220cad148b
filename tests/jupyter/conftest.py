"""The comm tests' kernel: a real ipykernel that a test talks to as JupyterLab would (test_bridge.py,
test_suggestions_comm.py)."""

import pytest
from jupyter_client.manager import start_new_kernel


@pytest.fixture
def kernel():
    manager, client = start_new_kernel(kernel_name="python3")
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)
