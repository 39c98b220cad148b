"""A pytest plugin: tests marked `isolated` run in a child pytest process of their own.

Native code can crash the process it runs in: llama.cpp under unusual load settings, the release of a mapped
model file's pages, speculative batches. In the process that runs the whole suite, one segfault would end
the run and lose every test after it. In a child, the crash is that test's failure, with the signal, the
native log (llama.cpp's own lines, copied to the child's stderr) and the Python stacks faulthandler dumps.

The child runs the one test by its node id and writes its reports to a file; the parent reports them as if
the test had run in place. Fixtures run in the child only, so a fixture that loads a model is isolated too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from _pytest.reports import TestReport

REPORTS = "OCI_TEST_ISOLATED_REPORTS"  # set in the child: the file its reports are written to
CHILD_TIMEOUT = 3600  # seconds; the slowest isolated test runs a few minutes
SHOWN_LINES = 80  # of the child's output, when it crashed

_config: pytest.Config | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config
    config.addinivalue_line(
        "markers", "isolated: runs in a child pytest process, so that a native crash fails this test alone"
    )
    if os.environ.get(REPORTS):
        _copy_native_log_to_stderr()


def _copy_native_log_to_stderr() -> None:
    """In the child: every llama.cpp log line also goes to file descriptor 2 (not through sys.stderr, which
    a test may be capturing), so that a crash's report ends with what llama.cpp was doing."""
    import functools

    from oci_magic.backends import llamacpp

    product_callback = llamacpp._log_callback

    @functools.cache
    def copying(verbose: bool):
        import llama_cpp

        inner = product_callback(verbose)

        @llama_cpp.llama_log_callback
        def log(level, text, user_data):
            os.write(2, text or b"")
            inner(level, text, user_data)

        return log

    llamacpp._log_callback = copying


def pytest_runtest_logreport(report: TestReport) -> None:
    path = os.environ.get(REPORTS)
    if path and _config is not None:
        data = _config.hook.pytest_report_to_serializable(config=_config, report=report)
        with open(path, "a") as file:
            file.write(json.dumps(data) + "\n")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    if os.environ.get(REPORTS) or item.get_closest_marker("isolated") is None:
        return None  # the child runs its test in place, as does the parent any test not marked
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in _run_in_child(item):
        item.ihook.pytest_runtest_logreport(report=report)
    # What the tests before it set up here and the next one does not use is torn down, as pytest's own
    # protocol does after each test (the next test's setup checks it).
    item.session._setupstate.teardown_exact(nextitem)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _run_in_child(item: pytest.Item) -> list[TestReport]:
    config = item.config
    with tempfile.TemporaryDirectory(prefix="oci-isolated-") as folder:
        path = Path(folder) / "reports.jsonl"
        command = [sys.executable, "-X", "faulthandler", "-m", "pytest", item.nodeid]
        command += ["-s", "-q", "-p", "isolated", "-p", "no:cacheprovider", "--rootdir", str(config.rootpath)]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                cwd=config.rootpath,
                env={**os.environ, REPORTS: str(path), "PYTHONPATH": _with_this_folder()},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=CHILD_TIMEOUT,
            )
            returncode, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            returncode = None
            output = _text(expired.stdout) + _text(expired.stderr)
        seconds = time.monotonic() - started
        lines = path.read_text().splitlines() if path.exists() else []
    reports = [config.hook.pytest_report_from_serializable(config=config, data=json.loads(x)) for x in lines]
    for report in reports:
        if report.skipped and isinstance(report.longrepr, list):
            # A skip's (path, line, reason) came back from JSON as a list; pytest's summary wants the tuple.
            report.longrepr = tuple(report.longrepr)
    if any(report.when == "teardown" for report in reports):
        return reports  # the child ran the test to its end: passed or failed, its own reports say
    if returncode is None:
        why = f"the test's child process did not finish within {CHILD_TIMEOUT} s and was killed"
    elif returncode < 0:
        name = signal.Signals(-returncode).name
        why = f"the test's child process was killed by {name} (signal {-returncode}): a native crash"
    else:
        why = f"the test's child process exited with status {returncode} before the test ended"
    tail = "\n".join(output.rstrip().splitlines()[-SHOWN_LINES:])
    when = "call" if any(r.when == "setup" and r.passed for r in reports) else "setup"
    crash = TestReport(
        item.nodeid,
        item.location,
        keywords=dict.fromkeys(item.keywords, 1),
        outcome="failed",
        longrepr=f"{why}.\nIts last {SHOWN_LINES} lines of output (native log included):\n{tail}",
        when=when,
        duration=seconds,
    )
    return [*reports, crash]


def _with_this_folder() -> str:
    """PYTHONPATH with this plugin's folder first: `-p isolated` is imported before any conftest runs."""
    here = str(Path(__file__).parent)
    return os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""
