"""Running the notebook suite: each task in a fresh Jupyter kernel, in a fresh working folder holding its
files, through real `%%oci` cells, then its hidden check on the state the kernel was left in.

"Solved after k rounds" asks whether the check would have passed had every `%%oci` run stopped after k
rounds: the last k is the live kernel itself; an earlier k, when some run went past it, is a replay in
another fresh kernel of the setup and the code of each run's first k rounds (no model: the code is
what the model wrote, replayed as cells).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oci_magic.evaluation.notebook_tasks import PLAN_TASKS, NotebookTask
from oci_magic.evaluation.notebook_tasks import TASKS as SINGLE_TASKS
from oci_magic.loop import records

__all__ = [
    "NotebookSettings",
    "CellReply",
    "NotebookResult",
    "solve_task",
    "select_notebook_tasks",
    "self_check",
]

# Every task of `oci-magic eval notebook`: the single requests, then the multi-step ones (kind "plan").
TASKS = [*SINGLE_TASKS, *PLAN_TASKS]
_MARK = "<<oci-eval>>"
_PLAN_MARK = "<<oci-eval-plan>>"
# What the check can read besides the user's variables: the mime types shown during the requests.
_DISPLAYED = "_eval_displayed"

# The round statuses whose code was executed in the kernel.
_RAN = {records.PASSED, records.FAILED, records.INCOMPLETE, records.TIMEOUT, records.INTERRUPTED}
# The run's record, sent back as one JSON line (no images: the notebook of failures keeps the text).
_RECORD = f"""
import json as _eval_json
from oci_magic.jupyter.transcript import run_cells as _eval_cells
from oci_magic.checks.findings import as_record as _eval_findings
from oci_magic.plan.hint import plan_hint as _eval_hint
_eval_rounds = _eval_run = None
for _eval_run in (_oci.runs if hasattr(_oci, "steps") else [_oci]):
    _eval_rounds = [{{
    "index": r.index, "code": r.code, "status": r.status, "error": str(r.error) if r.error else None,
    "reply": r.reply, "prompt": r.prompt, "generated_tokens": r.generated_tokens,
    "prompt_tokens": r.prompt_tokens, "generation_seconds": r.generation_time,
    "execution_seconds": r.execution_time, "shortfalls": _eval_findings(r.shortfalls),
    "notes": _eval_findings(r.notes), "left_out": _eval_findings(r.left_out),
    "retry_prompt": r.retry_prompt, "look_reply": r.look_reply,
    "feedback": r.feedback, "drafted_tokens": r.drafted_tokens, "accepted_tokens": r.accepted_tokens,
    "candidates": [{{"code": c.code, "ran": c.ran, "error": c.error, "group": c.group, "seconds": c.seconds}}
                   for c in r.candidates],
    "chosen": r.chosen, "agreement": r.agreement, "agreed": r.agreed, "single": r.single,
    "candidates_writing": r.candidates_writing, "candidates_tokens": r.candidates_tokens,
    "trials_seconds": r.trials_seconds,
}} for r in _eval_run.rounds]
    print({_MARK!r} + _eval_json.dumps({{
        "status": _eval_run.status, "message": _eval_run.message, "duration": _eval_run.duration,
        "verdict": _eval_run.verdict,
        "rounds": _eval_rounds, "cells": [c for c in _eval_cells(_eval_run)],
        "plan_hint": bool(_eval_hint(_eval_run)),
    }}, default=str))
if hasattr(_oci, "steps"):
    print({_PLAN_MARK!r} + _eval_json.dumps({{
        "status": _oci.status, "message": _oci.message, "steps": [s.text for s in _oci.steps],
        "reply": _oci.reply, "planning_tokens": _oci.planning.generated_tokens if _oci.planning else 0,
        "planning_seconds": _oci.planning.generation_time if _oci.planning else 0,
    }}, default=str))
del _eval_json, _eval_cells, _eval_rounds, _eval_run, _eval_hint
"""


@dataclass(frozen=True)
class NotebookSettings:
    model: str = ""
    endpoint: str = ""
    rounds: int = 2  # feedback rounds after the first attempt: 3 rounds in all, as %%oci
    max_tokens: int = 1024
    temperature: float = 0.0
    timeout: float = 60.0  # seconds one round's code may run
    n_ctx: int = 4096
    threads: int = 0
    speculation: str = "auto"
    cell_timeout: float = 900.0  # seconds one %%oci cell may take, the model's writing included
    kernel_setup: str = ""  # code each kernel runs after loading oci_magic (e.g. to plug in a backend)
    result_checks: bool = True  # the checks of a round that raised nothing (outcome.py)
    second_look: bool = False  # the model confirms or corrects a round that passed (loop.py)
    candidates: int = 1  # candidates a round writes and tries (oci_magic/candidates)

    @property
    def max_rounds(self) -> int:
        return self.rounds + 1

    def preamble(self) -> str:
        lines = [
            *([_MEMORY_CAP.strip()] if os.name == "posix" else []),
            "%load_ext oci_magic",
            "%config OciMagics.view = 'text'",
            "%config OciMagics.cells = 'none'",
            f"%config OciMagics.max_rounds = {self.max_rounds}",
            f"%config OciMagics.max_tokens = {self.max_tokens}",
            f"%config OciMagics.temperature = {self.temperature}",
            f"%config OciMagics.exec_timeout = {self.timeout}",
            f"%config OciMagics.n_ctx = {self.n_ctx}",
            f"%config OciMagics.n_threads = {self.threads}",
            f"%config OciMagics.speculation = {self.speculation!r}",
            f"%config OciMagics.result_checks = {self.result_checks}",
            f"%config OciMagics.second_look = {self.second_look}",
            f"%config OciMagics.candidates = {self.candidates}",
            # Nobody answers questions here (nbclient): code is judged as written, as before asking
            # existed; how often ask_before = 'risky' would ask is measured on its own (eval safety).
            "%config OciMagics.ask_before = 'never'",
        ]
        if self.model:
            lines.append(f"%config OciMagics.model = {self.model!r}")
        if self.endpoint:
            lines.append(f"%config OciMagics.endpoint = {self.endpoint!r}")
        return "\n".join([*lines, self.kernel_setup])


@dataclass
class CellReply:
    ok: bool
    stdout: str = ""
    error: str = ""  # "Type: message" of the cell's error
    displayed: set[str] = field(default_factory=set)  # mime types of what the cell displayed


_DIED = "KernelDied: the kernel process ended (out of memory, or a native crash)"
# The first lines of every kernel: generated code that allocates more than half the machine's memory gets a
# MemoryError instead of the system's out-of-memory killer (RLIMIT_DATA counts malloc and anonymous maps,
# not the model file llama.cpp maps).
_MEMORY_CAP = """
import os as _o, resource as _r
_cap, _hard = _o.sysconf("SC_PAGE_SIZE") * _o.sysconf("SC_PHYS_PAGES") // 2, _r.getrlimit(_r.RLIMIT_DATA)[1]
_r.setrlimit(_r.RLIMIT_DATA, (_cap if _hard == _r.RLIM_INFINITY else min(_cap, _hard), _hard))
del _o, _r, _cap, _hard
"""


class _Kernel:
    """A fresh python3 kernel working in `folder`, executing one cell at a time."""

    def __init__(self, folder: Path) -> None:
        from jupyter_client.manager import KernelManager

        self.manager = KernelManager(kernel_name="python3")
        if os.name == "posix":  # local IPC sockets: nothing listens on the network
            self.manager.transport, self.manager.ip = "ipc", str(folder / ".kernel")
        self.manager.start_kernel(cwd=str(folder))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300.0) -> CellReply:
        """Run one cell; its stdout, what it displayed and its error. A kernel that dies (the system's
        out-of-memory killer, a native crash) ends the cell at once, not at its timeout."""
        reply = CellReply(ok=False)
        if not self.manager.is_alive():
            reply.error = _DIED
            return reply
        msg_id = self.client.execute(code, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                self.manager.interrupt_kernel()
                reply.error = reply.error or f"TimeoutError: the cell took over {timeout:.0f} s"
                return reply
            try:
                message = self.client.get_iopub_msg(timeout=1.0)
            except queue.Empty:
                if not self.manager.is_alive():
                    reply.error = _DIED
                    return reply
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "stream" and content.get("name") == "stdout":
                reply.stdout += content["text"]
            elif kind in ("display_data", "execute_result", "update_display_data"):
                reply.displayed.update(content.get("data", {}))
            elif kind == "error":
                reply.error = f"{content['ename']}: {content['evalue']}"
        answer = None
        while answer is None or answer["parent_header"].get("msg_id") != msg_id:
            try:
                answer = self.client.get_shell_msg(timeout=30)
            except queue.Empty:
                reply.error = reply.error or "the kernel went idle without answering the cell"
                return reply
        reply.ok = answer["content"]["status"] == "ok"
        if not reply.ok and not reply.error:
            reply.error = f"{answer['content'].get('ename', 'Error')}: {answer['content'].get('evalue', '')}"
        return reply

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        if threading.current_thread() is not threading.main_thread():
            # jupyter_client's blocking calls gave this worker thread an event loop that nothing closes; left
            # open it is found by the garbage collector later, anywhere, as a ResourceWarning. A later kernel
            # on this thread gets a new loop.
            with contextlib.suppress(RuntimeError):
                asyncio.get_event_loop_policy().get_event_loop().close()


def _check(kernel: _Kernel, task: NotebookTask, displayed: set[str]) -> tuple[bool, str]:
    kernel.run(f"{_DISPLAYED} = {sorted(displayed)!r}")
    reply = kernel.run(task.check, timeout=60)
    return reply.ok, "" if reply.ok else reply.error


def _step_checks(kernel: _Kernel, task: NotebookTask) -> list[bool]:
    """Each step's check on the state left at the end (a multi-step task)."""
    return [kernel.run(check, timeout=60).ok for check in task.step_checks]


@dataclass
class NotebookResult:
    task: NotebookTask
    runs: list[dict[str, Any]]  # per request: status, rounds (code, status, error, figures), cells
    solved_after: list[bool]  # index k: solved had each run stopped after k + 1 rounds
    reasons: list[str]  # the check's verdict after each k ("" when it passed)
    seconds: float = 0.0
    problem: str = ""  # the task could not be run (kernel died, setup failed)
    mode: str = "oci"  # "oci": each request as one %%oci; "plan": as %%oci --plan
    steps_passed: list[bool] = field(default_factory=list)  # a multi-step task: each step's check
    plan: dict[str, Any] = field(default_factory=dict)  # --plan: the plan's status, steps, planning tokens

    @property
    def solved(self) -> bool:
        return self.solved_after[-1]

    @property
    def claimed_pass(self) -> bool:
        """Every run ran without error and left nothing undone that the checks could see."""
        return bool(self.runs) and all(run.get("status") == "passed" for run in self.runs)

    @property
    def vouched(self) -> bool:
        """Every run passed and something backed it: the user's check, or candidates that agree. Only these
        say "passed" to the user."""
        return self.claimed_pass and all(run.get("verdict") in ("verified", "agreed") for run in self.runs)

    @property
    def rounds_used(self) -> int:
        return max((len(run.get("rounds", [])) for run in self.runs), default=0)

    @property
    def generated_tokens(self) -> int:
        planning = self.plan.get("planning_tokens") or 0
        return planning + sum(
            r.get("generated_tokens") or 0 for run in self.runs for r in run.get("rounds", [])
        )


def _in_kernel(task: NotebookTask, body: Callable[[_Kernel, Path], Any]) -> Any:
    folder = Path(tempfile.mkdtemp(prefix=f"oci-eval-{task.name}-"))
    kernel = None
    try:
        task.write_files(folder)
        kernel = _Kernel(folder)
        return body(kernel, folder)
    finally:
        if kernel is not None:
            kernel.close()
        shutil.rmtree(folder, ignore_errors=True)


def replay(task: NotebookTask, codes: Sequence[Sequence[str]]) -> tuple[bool, str]:
    """Setup, then each request's codes as cells (errors do not stop the replay), then the check."""

    def body(kernel: _Kernel, folder: Path) -> tuple[bool, str]:
        if task.setup and not (reply := kernel.run(task.setup)).ok:
            return False, f"setup failed: {reply.error}"
        displayed: set[str] = set()
        for request_codes in codes:
            for code in request_codes:
                displayed |= kernel.run(code).displayed
        return _check(kernel, task, displayed)

    return _in_kernel(task, body)


def solve_task(task: NotebookTask, settings: NotebookSettings, *, plan: bool = False) -> NotebookResult:
    """The task through real %%oci cells (`plan`: %%oci --plan), checked, and replayed for the earlier k."""
    started = time.perf_counter()
    plan_record: dict[str, Any] = {}

    def body(kernel: _Kernel, folder: Path) -> NotebookResult:
        preamble = kernel.run(settings.preamble())
        if not preamble.ok:
            raise RuntimeError(f"cannot load oci_magic in the kernel: {preamble.error}")
        if task.setup and not (reply := kernel.run(task.setup)).ok:
            raise RuntimeError(f"the task's setup failed: {reply.error}")
        runs, displayed = [], set()
        for request in task.requests:
            cell = kernel.run(f"%%oci{' --plan' * plan}\n{request}", timeout=settings.cell_timeout)
            displayed |= cell.displayed
            record = kernel.run(_RECORD)
            lines = record.stdout.splitlines()
            found = [json.loads(x[len(_MARK) :]) for x in lines if x.startswith(_MARK)]
            if plan:
                said = [json.loads(x[len(_PLAN_MARK) :]) for x in lines if x.startswith(_PLAN_MARK)]
                plan_record.update(said[-1] if said else {"status": "error", "message": cell.error})
            if not found and not plan:
                runs.append({"status": "error", "message": cell.error or record.error, "rounds": []})
            runs.extend(found)
        passed, reason = _check(kernel, task, displayed)
        steps = _step_checks(kernel, task)
        return NotebookResult(
            task, runs, [passed], [reason], mode="plan" if plan else "oci", steps_passed=steps
        )

    try:
        result = _in_kernel(task, body)
    except RuntimeError as exc:
        return NotebookResult(
            task,
            [],
            [False] * settings.max_rounds,
            [str(exc)] * settings.max_rounds,
            time.perf_counter() - started,
            problem=str(exc),
            mode="plan" if plan else "oci",
            steps_passed=[False] * len(task.step_checks),
        )
    result.plan = plan_record
    final_passed, final_reason = result.solved_after[0], result.reasons[0]
    solved, reasons = [], []
    for k in range(1, settings.max_rounds):
        if all(len(run["rounds"]) <= k for run in result.runs):
            solved.append(final_passed)
            reasons.append(final_reason)
            continue
        # Only code that ran is replayed: a refused or repeated round's code never touched the kernel.
        codes = [
            [r["code"] for r in run["rounds"][:k] if r["code"] and r["status"] in _RAN] for run in result.runs
        ]
        passed, reason = replay(task, codes)
        solved.append(passed)
        reasons.append(reason)
    result.solved_after = [*solved, final_passed]
    result.reasons = [*reasons, final_reason]
    result.seconds = time.perf_counter() - started
    return result


def select_notebook_tasks(spec: str = "", limit: int | None = None) -> list[NotebookTask]:
    """Tasks by name, position or kind ("0-4,slugify", "plan": the multi-step tasks); ValueError naming the
    known tasks for an unknown one."""
    chosen = list(TASKS)
    if spec.strip():
        by_name = {task.name: task for task in TASKS}
        picked: list[NotebookTask] = []
        for piece in (p.strip() for p in spec.split(",")):
            if not piece:
                continue
            if piece in by_name:
                picked.append(by_name[piece])
            elif piece in {task.kind for task in TASKS}:
                picked += [task for task in TASKS if task.kind == piece]
            elif piece.replace("-", "").isdigit():
                low, _, high = piece.partition("-")
                for index in range(int(low), int(high or low) + 1):
                    if not 0 <= index < len(TASKS):
                        raise ValueError(f"no notebook task {index}: they are numbered 0 to {len(TASKS) - 1}")
                    picked.append(TASKS[index])
            else:
                raise ValueError(f"no notebook task {piece!r}; the tasks are: {', '.join(by_name)}")
        chosen = list({task.name: task for task in picked}.values())
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


def self_check(
    tasks: Sequence[NotebookTask], progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Each task's reference solution must pass its check, and doing nothing must fail it (and each step's
    check, for a multi-step task)."""
    problems = []
    for task in tasks:
        passed, reason = replay(task, [[code] for code in task.reference])
        if not passed:
            problems.append(f"{task.name}: the reference solution fails the check ({reason})")
        passed, _ = replay(task, [[] for _ in task.requests])
        if passed:
            problems.append(f"{task.name}: doing nothing passes the check")
        for index, check in enumerate(task.step_checks, 1):
            if replay(dataclasses.replace(task, check=check), [[] for _ in task.requests])[0]:
                problems.append(f"{task.name}: doing nothing passes the check of step {index}")
        if progress is not None:
            progress(task.name)
    return {"tasks": len(tasks), "problems": problems}
