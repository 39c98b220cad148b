"""Solving benchmark tasks through the same refinement loop as `%%oci`, and scoring the rounds.

Each task gets a fresh conversation with `%%oci`'s system prompt, its request, and `run_request` with up to
1 + `rounds` rounds: the executor (per task, per feedback mode) says what the model's code did, the loop
turns that into the "Execution result:" feedback and asks again. pass@1 after k feedback rounds counts the
tasks whose latest code by round k + 1 passes the benchmark's tests; greedy decoding makes it repeatable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from oci_magic.backends import Backend
from oci_magic.errors import EvalStopped
from oci_magic.evaluation.humaneval import Task, TaskExecutor
from oci_magic.executors.subprocess import SubprocessExecutor
from oci_magic.loop import prompts, records
from oci_magic.loop.conversation import Conversation
from oci_magic.loop.records import Run
from oci_magic.loop.run import LoopSettings, run_request

__all__ = ["EvalSettings", "Attempt", "TaskResult", "solve", "evaluate", "pass_rates", "EvalStopped"]


@dataclass(frozen=True)
class EvalSettings:
    feedback: str = "tests"
    rounds: int = 1  # feedback rounds after the first attempt
    max_tokens: int = 1024
    temperature: float = 0.0
    timeout: float = 10.0  # seconds an attempt may run
    memory_mb: int | None = 1024

    def loop_settings(self) -> LoopSettings:
        return LoopSettings(
            max_rounds=self.rounds + 1,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            exec_timeout=self.timeout,
        )


@dataclass
class Attempt:
    """One round of one task: the code, what the model was told about it, and the benchmark's verdict."""

    round: int
    status: str
    code: str | None
    passed: bool
    reason: str
    feedback: str | None  # the "Execution result:" message the model got after this attempt
    reply: str
    generated_tokens: int | None
    generation_seconds: float | None
    execution_seconds: float | None


@dataclass
class TaskResult:
    task: Task
    run: Run
    attempts: list[Attempt]
    solved_after: list[bool]  # index k: solved with k feedback rounds
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)  # the docstring examples run in traceback mode

    @property
    def solved(self) -> bool:
        return self.solved_after[-1]


def solve(
    task: Task, backend: Backend, settings: EvalSettings, runner: SubprocessExecutor | None = None
) -> TaskResult:
    """Run one task through the loop and judge every round's code with the benchmark's tests."""
    started = time.perf_counter()
    runner = runner or SubprocessExecutor(memory_mb=settings.memory_mb)
    executor = TaskExecutor(task, settings.feedback, runner, settings.timeout)
    conversation = Conversation()
    run = run_request(
        prompts.function_request(task.prompt),
        backend=backend,
        executor=executor,
        conversation=conversation,
        settings=settings.loop_settings(),
    )
    attempts = []
    for round_ in run.rounds:
        verdict = executor.judge(round_.code)
        attempts.append(
            Attempt(
                round=round_.index,
                status=round_.status,
                code=round_.code,
                passed=verdict.passed,
                reason=verdict.reason,
                feedback=round_.feedback,
                reply=round_.reply,
                generated_tokens=round_.generated_tokens,
                generation_seconds=round_.generation_time,
                execution_seconds=round_.execution_time,
            )
        )
    solved_after = []
    for k in range(settings.rounds + 1):
        latest = next((a for a in reversed(attempts[: k + 1]) if a.code is not None), None)
        solved_after.append(latest is not None and latest.passed)
    examples = executor.examples if settings.feedback == "traceback" else []
    return TaskResult(task, run, attempts, solved_after, time.perf_counter() - started, examples)


def pass_rates(results: Sequence[TaskResult], rounds: int) -> list[float]:
    """pass@1 (a fraction) after 0, 1, ..., `rounds` feedback rounds."""
    if not results:
        return [0.0] * (rounds + 1)
    return [sum(result.solved_after[k] for result in results) / len(results) for k in range(rounds + 1)]


def evaluate(
    tasks: Sequence[Task],
    backend: Backend,
    settings: EvalSettings,
    *,
    jobs: int = 1,
    on_result: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Solve `tasks`, `jobs` at a time (more than one only pays with a server that batches requests), and
    return the results in task order. A backend error or an interrupt stops the evaluation: `EvalStopped`
    carries the tasks finished before it."""
    runner = SubprocessExecutor(memory_mb=settings.memory_mb)
    done: dict[str, TaskResult] = {}

    def finished() -> list[TaskResult]:
        return [done[task.task_id] for task in tasks if task.task_id in done]

    def accept(result: TaskResult) -> None:
        if result.run.status == records.ERROR:
            raise EvalStopped(f"{result.task.task_id}: {result.run.message}", finished())
        if result.run.status == records.INTERRUPTED:
            raise EvalStopped(f"interrupted during {result.task.task_id}", finished())
        done[result.task.task_id] = result
        if on_result is not None:
            on_result(result)

    if jobs <= 1:
        for task in tasks:
            accept(solve(task, backend, settings, runner))
        return finished()
    if backend.clone() is None:
        raise ValueError("--jobs above 1 needs a backend that serves several requests (--endpoint)")

    class PerWorker(threading.local):
        backend: Backend | None = None  # a backend per worker, for a request of its own

    local = PerWorker()

    def solve_in_thread(task: Task) -> TaskResult:
        local.backend = local.backend or backend.clone()
        return solve(task, local.backend, settings, runner)

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="oci-eval")
    pending: set[Future] = set()
    queue = iter(tasks)
    try:
        for task in queue:
            pending.add(pool.submit(solve_in_thread, task))
            if len(pending) < jobs:
                continue
            completed, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in completed:
                accept(future.result())
        while pending:
            completed, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in completed:
                accept(future.result())
    except KeyboardInterrupt:
        raise EvalStopped("interrupted", finished()) from None
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
    return finished()
