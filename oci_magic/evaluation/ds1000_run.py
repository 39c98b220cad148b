"""Running DS-1000 problems through real `%%oci`: each in a fresh Jupyter kernel that holds the problem's
inputs, then each round's code judged by the problem's own test program.

"Solved after k rounds" judges the last code that ran within the first k rounds: the cell the user would
keep had the run stopped there. `self_check` finds the problems that can run here (the reference passes its
test with the installed libraries, an empty answer fails it) and counts the loop's false stops: the
reference solution given as the model's reply must pass its first round with every check on.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from oci_magic.backends import Backend
from oci_magic.evaluation.ds1000 import IMPORTS, Problem, Verdict, judge, judged_once
from oci_magic.evaluation.notebook import _MARK, _RAN, _RECORD, NotebookSettings, _Kernel

__all__ = [
    "FixedReplies",
    "ProblemResult",
    "Unusable",
    "Reason",
    "usable",
    "solve_problem",
    "solve_all",
    "self_check",
]


class FixedReplies(Backend):
    """A backend that answers with the same reply every time: the reference solution as the model's
    reply, for the self-check of the loop's checks (no model is involved)."""

    name = "reference solution"

    def __init__(self, text: str) -> None:
        self.text = text

    def stream_chat(self, messages, **options) -> Iterator[str]:
        yield self.text

    @staticmethod
    def kernel_setup(reply: str) -> str:
        """Code that makes a kernel's %%oci answer with `reply` every time."""
        return (
            "import oci_magic\nfrom oci_magic.evaluation.ds1000_run import FixedReplies\n"
            f"oci_magic.set_backend(FixedReplies({reply!r}))"
        )


@dataclass
class ProblemResult:
    problem: Problem
    run: dict[str, Any]  # the %%oci run's record: status, rounds (code, status, shortfalls, notes, ...)
    solved_after: list[bool]  # index k: the last code that ran in the first k + 1 rounds passes the test
    reasons: list[str]  # the test's verdict after each k ("" when it passed)
    seconds: float = 0.0
    problem_text: str = ""  # why it could not be run (the kernel's setup failed, ...)
    # With several candidates a round: for each round, whether each candidate's code passes the test.
    candidates_right: list[list[bool]] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        return self.solved_after[-1]

    @property
    def claimed_pass(self) -> bool:
        return self.run.get("status") == "passed"

    @property
    def vouched(self) -> bool:
        """The run passed and something backed it: the user's check, or candidates that agree."""
        return self.run.get("verdict") in ("verified", "agreed")

    @property
    def rounds(self) -> list[dict[str, Any]]:
        return self.run.get("rounds", [])

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.rounds)

    @property
    def noted(self) -> bool:
        """The last round left notes for the user (what the checks could not know for certain)."""
        return bool(self.rounds and self.rounds[-1].get("notes"))

    @property
    def no_code_ran(self) -> bool:
        return bool(self.rounds) and not any(r["status"] in _RAN for r in self.rounds)

    @property
    def generated_tokens(self) -> int:
        return sum(r.get("generated_tokens") or 0 for r in self.rounds)


def missing_library(problem: Problem) -> str:
    """The library the problem needs that is not installed ('' when it is)."""
    module = IMPORTS[problem.library]
    needed = [module, "seaborn"] if problem.library == "Matplotlib" else [module]
    return next((name for name in needed if importlib.util.find_spec(name) is None), "")


class Reason(StrEnum):
    """Why a problem cannot judge answers here."""

    MISSING_LIBRARY = "needs a library that is not installed"
    REFERENCE_FAILS = "its reference solution fails its test here"
    EMPTY_PASSES = "an empty answer passes its test"
    INPUTS_FAIL = "its inputs cannot be made outside its test program"


@dataclass(frozen=True)
class Unusable:
    """A problem that cannot judge answers here: why, and what was seen (the library, the failure)."""

    reason: Reason
    detail: str = ""

    def __str__(self) -> str:
        if self.reason is Reason.MISSING_LIBRARY:
            return f"needs {self.detail}, which is not installed"
        return f"{self.reason}: {self.detail}"[:300] if self.detail else str(self.reason)


def usable(problem: Problem, *, timeout: float = 120.0) -> Unusable | None:
    """None when the problem can judge answers here: its reference passes its own test with the installed
    libraries and an empty answer fails it; else why it cannot."""
    if library := missing_library(problem):
        return Unusable(Reason.MISSING_LIBRARY, library)
    reference = judge(problem, problem.reference_cell, timeout=timeout)
    if not reference.passed:
        return Unusable(Reason.REFERENCE_FAILS, reference.reason)
    if judge(problem, "", timeout=timeout).passed:
        return Unusable(Reason.EMPTY_PASSES)
    from oci_magic.executors.subprocess import SubprocessExecutor

    setup = SubprocessExecutor(memory_mb=4096, output_limit=2000).run(problem.setup, timeout=timeout)
    if setup.error is not None or setup.timed_out:
        why = f"{setup.error.type}: {setup.error.message}" if setup.error else "it ran too long"
        return Unusable(Reason.INPUTS_FAIL, why)
    return None


def _in_kernel(problem: Problem, settings: NotebookSettings, request_code: str) -> tuple[dict, str]:
    """A fresh kernel: the preamble, the problem's setup, then `request_code` (an %%oci cell); the run's
    record, or ({}, why it could not run)."""
    folder = Path(tempfile.mkdtemp(prefix=f"oci-ds1000-{problem.id}-"))
    kernel = None
    try:
        kernel = _Kernel(folder)
        preamble = kernel.run(settings.preamble())
        if not preamble.ok:
            return {}, f"cannot load oci_magic in the kernel: {preamble.error}"
        setup = kernel.run(problem.setup, timeout=120)
        if not setup.ok:
            return {}, f"the problem's inputs cannot be made in a kernel: {setup.error}"
        cell = kernel.run(request_code, timeout=settings.cell_timeout)
        record = kernel.run(_RECORD)
        line = next((x for x in record.stdout.splitlines() if x.startswith(_MARK)), None)
        if line is None:
            return {"status": "error", "message": cell.error or record.error, "rounds": []}, ""
        return json.loads(line[len(_MARK) :]), ""
    except Exception as exc:  # a kernel that would not start or died: this problem's result, not the run's
        return {}, f"{type(exc).__name__}: {exc}"
    finally:
        if kernel is not None:
            kernel.close()
        shutil.rmtree(folder, ignore_errors=True)


def _last_ran(rounds: Sequence[dict[str, Any]], k: int) -> str | None:
    ran = [r["code"] for r in rounds[:k] if r.get("code") and r["status"] in _RAN]
    return ran[-1] if ran else None


def solve_problem(
    problem: Problem, settings: NotebookSettings, *, judge_timeout: float = 120.0
) -> ProblemResult:
    started = time.perf_counter()
    run, why = _in_kernel(problem, settings, f"%%oci\n{problem.request}")
    if why:
        reasons = [why] * settings.max_rounds
        return ProblemResult(problem, {}, [False] * settings.max_rounds, reasons, problem_text=why)
    verdict = judged_once(problem, timeout=judge_timeout)
    solved, reasons = [], []
    for k in range(1, settings.max_rounds + 1):
        code = _last_ran(run.get("rounds", []), k)
        result = verdict(code) if code is not None else Verdict(False, "no code ran")
        solved.append(result.passed)
        reasons.append(result.reason)
    candidates_right = [
        [verdict(candidate["code"]).passed for candidate in round_.get("candidates") or []]
        for round_ in run.get("rounds", [])
    ]
    return ProblemResult(
        problem,
        run,
        solved,
        reasons,
        seconds=time.perf_counter() - started,
        candidates_right=candidates_right,
    )


def sample_usable(
    ordered: Sequence[Problem],
    count: int | None,
    *,
    jobs: int = 1,
    on_skip: Callable[[Problem, Unusable], None],
) -> list[Problem]:
    """The first `count` problems of `ordered` that can run here (all of them when `count` is None)."""
    chosen: list[Problem] = []
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        at = 0
        while at < len(ordered) and (count is None or len(chosen) < count):
            batch = ordered[at : at + max(jobs, 1) * 2] if count is not None else ordered[at:]
            at += len(batch)
            for problem, why in zip(batch, pool.map(usable, batch), strict=True):
                if why is None and (count is None or len(chosen) < count):
                    chosen.append(problem)
                elif why is not None:
                    on_skip(problem, why)
    return chosen


def solve_all(
    problems: Sequence[Problem],
    settings: NotebookSettings,
    *,
    jobs: int = 1,
    on_result: Callable[[ProblemResult], None] | None = None,
) -> list[ProblemResult]:
    """Each problem in its own kernel, `jobs` at a time (more than one needs a server behind --endpoint)."""
    results: list[ProblemResult] = []
    pool = ThreadPoolExecutor(max_workers=max(jobs, 1))
    try:
        for result in pool.map(lambda problem: solve_problem(problem, settings), problems):
            results.append(result)
            if on_result is not None:
                on_result(result)
    finally:  # Ctrl-C: the problems not started are dropped, not run before the results are saved
        pool.shutdown(wait=False, cancel_futures=True)
    return results


@dataclass
class FalseStop:
    problem: Problem
    statuses: list[str]
    said: list[str] = field(default_factory=list)  # the shortfalls or error of the first round
    kinds: list[str] = field(default_factory=list)  # the kinds of those shortfalls (checks/findings.py)


def false_stop(problem: Problem, settings: NotebookSettings) -> FalseStop | None:
    """The reference solution as the model's reply through real %%oci: a FalseStop when its first round
    does not pass."""
    setup = FixedReplies.kernel_setup(f"```python\n{problem.reference_cell.rstrip()}\n```")
    checked = NotebookSettings(
        rounds=0, timeout=settings.timeout, kernel_setup=setup, cell_timeout=settings.cell_timeout
    )
    run, why = _in_kernel(problem, checked, f"%%oci\n{problem.request}")
    if why:
        return FalseStop(problem, ["could not run"], [why])
    rounds = run.get("rounds", [])
    if [r["status"] for r in rounds] == ["passed"]:
        return None
    first = rounds[0] if rounds else {}
    shortfalls = first.get("shortfalls") or []
    said = [found["text"] for found in shortfalls] or [first.get("error") or run.get("message") or "no round"]
    kinds = [found["kind"] for found in shortfalls]
    return FalseStop(problem, [r["status"] for r in rounds], said, kinds)


def self_check(
    problems: Sequence[Problem],
    settings: NotebookSettings,
    *,
    jobs: int = 1,
    known_usable: bool = False,
    progress: Callable[[Problem], None] | None = None,
) -> dict[str, Any]:
    """Which problems can run here (and why the others cannot), and the loop's false stops on the
    reference solutions of those that can (`known_usable`: all of them, already checked)."""
    unusable: dict[int, Unusable] = {}
    false_stops: list[FalseStop] = []

    def check(problem: Problem) -> tuple[Problem, Unusable | None, FalseStop | None]:
        why = None if known_usable else usable(problem)
        return problem, why, (false_stop(problem, settings) if why is None else None)

    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        for problem, why, stopped in pool.map(check, problems):
            if why is not None:
                unusable[problem.id] = why
            elif stopped is not None:
                false_stops.append(stopped)
            if progress is not None:
                progress(problem)
    return {"problems": len(problems), "unusable": unusable, "false_stops": false_stops}
