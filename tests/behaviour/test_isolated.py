"""The `isolated` marker (tests/isolated.py): a test that crashes its process fails alone, with its signal
and its last output, and the run goes on."""

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parents[1]

CRASHING = """
import ctypes
import os

import pytest


@pytest.mark.isolated
def test_crashes():
    os.write(2, b"native log: about to read address 0\\\\n")
    ctypes.string_at(0)  # a segfault, as a native crash would be


@pytest.mark.isolated
def test_passes_in_a_child():
    assert os.environ.get("OCI_TEST_ISOLATED_REPORTS")


@pytest.mark.isolated
def test_fails_in_a_child():
    assert 1 == 2


def test_after_the_crash():
    assert not os.environ.get("OCI_TEST_ISOLATED_REPORTS")
"""


def test_a_segfault_fails_its_test_and_the_run_goes_on(tmp_path):
    (tmp_path / "test_native.py").write_text(CRASHING)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "isolated", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "2 failed, 2 passed" in out, out
    assert "killed by SIGSEGV (signal 11): a native crash" in out
    assert "native log: about to read address 0" in out  # what it printed before it died
    assert "Fatal Python error: Segmentation fault" in out  # faulthandler's stacks
    assert "assert 1 == 2" in out  # a plain failure in a child is reported as pytest writes it
