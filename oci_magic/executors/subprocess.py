"""Running code in a separate Python process with a time limit and a memory cap (the evaluation's executor).

Each run gets a fresh interpreter (`python -I`, so no user site or PYTHON* variables), its own temporary
working directory, no stdin, and its own process group, which is killed when the run ends or times out.
Resource limits cap its address space, CPU time and the size of the files it writes; what it prints is
read back up to `output_limit` characters. This keeps a bad attempt from hurting the harness: it is not a
sandbox (the code runs with the user's permissions and can read and write their files and the network).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oci_magic.executors import ExecutionResult
from oci_magic.executors.results import ErrorInfo, Executor

__all__ = ["SubprocessExecutor", "PartsResult"]

CHILD = Path(__file__).with_name("child.py")
OUTPUT_FILE_LIMIT = 16 * 2**20  # bytes a run may write to one file, its captured output included


@dataclass
class PartsResult(ExecutionResult):
    """An `ExecutionResult` that also says which part failed and what a failed assert compared."""

    part: str | None = None
    explanation: str | None = None


def _limits(memory_bytes: int | None, cpu_seconds: int | None) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec
        import resource

        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        if cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_FILE_LIMIT, OUTPUT_FILE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _ended_early(returncode: int) -> ErrorInfo:
    """The process ended before writing its result: it exited on its own or was killed."""
    if returncode >= 0:
        message = (
            f"the code ended its process (exit status {returncode}) before it finished, "
            "e.g. with os._exit(); nothing after that point ran"
        )
        return ErrorInfo("ProcessExit", message, f"ProcessExit: {message}")
    signum = -returncode
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = str(signum)
    reasons = {
        "SIGXCPU": "it used up its CPU time",
        "SIGXFSZ": f"it wrote more than {OUTPUT_FILE_LIMIT // 2**20} MB to a file or its output",
        "SIGKILL": "it was killed (by the code itself, or by the system for lack of memory)",
        "SIGSEGV": "it crashed (segmentation fault)",
    }
    message = f"the process was ended by {name}: {reasons.get(name, 'a signal')}"
    return ErrorInfo("ProcessKilled", message, f"ProcessKilled: {message}")


def _read_output(path: Path, limit: int) -> str:
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
        size = os.fstat(handle.fileno()).st_size
    text = data[:limit].decode("utf-8", errors="replace")
    if size > limit:
        text += f"\n...({size - limit} more bytes of output not shown)"
    return text


class SubprocessExecutor(Executor):
    """Runs each piece of code in a new Python process; nothing is shared between runs."""

    def __init__(
        self,
        *,
        memory_mb: int | None = 1024,
        output_limit: int = 100_000,
        python: str = sys.executable,
    ) -> None:
        self.memory_mb = memory_mb
        self.output_limit = output_limit
        self.python = python

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> ExecutionResult:
        result = self.run_parts([("<code>", code)], timeout=timeout)
        if on_output is not None and result.outputs:
            on_output(result.outputs)
        return result

    def run_parts(
        self,
        parts: Sequence[tuple[str, str]],
        *,
        timeout: float | None = None,
        explain_asserts: bool = False,
    ) -> PartsResult:
        """Run `parts` ((filename, source) pairs) one after another in one namespace, stopping at the first
        error; its `part` says where it happened."""
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="oci-run-") as job_dir:
            job = Path(job_dir)
            (job / "job.json").write_text(
                json.dumps({"parts": [list(part) for part in parts], "explain_asserts": explain_asserts}),
                encoding="utf-8",
            )
            # Numeric libraries would start a thread per core and reserve memory for each.
            env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
            memory = self.memory_mb * 2**20 if self.memory_mb else None
            cpu = int(timeout) + 2 if timeout else None
            with (job / "output.txt").open("wb") as output:
                process = subprocess.Popen(
                    [self.python, "-I", "-u", str(CHILD), job_dir],
                    cwd=job_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,  # its own process group, killed as a whole
                    preexec_fn=_limits(memory, cpu),  # noqa: PLW1509 - limits must be set before exec
                )
                timed_out = False
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    timed_out = True
                except BaseException:
                    _kill_group(process)
                    process.wait()
                    raise
                finally:
                    _kill_group(process)  # whatever it started goes too
                    process.wait()
            text = _read_output(job / "output.txt", self.output_limit)
            result = PartsResult(output=text, timed_out=timed_out)
            if text:
                result.outputs = [{"output_type": "stream", "name": "stdout", "text": text}]
            result_file = job / "result.json"
            if not timed_out:
                if result_file.is_file():
                    self._read_result(result, json.loads(result_file.read_text(encoding="utf-8")))
                else:
                    result.error = _ended_early(process.returncode)
        result.duration = time.perf_counter() - started
        return result

    @staticmethod
    def _read_result(result: PartsResult, report: dict[str, Any]) -> None:
        error = report.get("error")
        if error is None:
            return
        result.error = ErrorInfo(error["type"], error["message"], error["traceback"], error.get("line"))
        result.part = error.get("part")
        result.explanation = error.get("explanation")
