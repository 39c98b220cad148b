"""The repair loop's logic, driven through %%oci in a real IPython shell with a scripted model."""

import os
import signal
import time

import pytest
from helpers import BrokenBackend, ScriptedBackend

import oci_magic

FENCE = "```"


def block(code: str) -> str:
    return f"Here is the code:\n{FENCE}python\n{code}\n{FENCE}"


def test_passes_first_time_and_code_lands_in_the_namespace(shell, scripted, capsys):
    backend = scripted([block("total = sum(range(5))\nprint('total', total)")])
    shell.run_cell("%%oci\nadd up 0..4")
    run = oci_magic.last_run()
    assert run is shell.user_ns["_oci"]
    assert run.status == "passed" and len(run.rounds) == 1
    assert shell.user_ns["total"] == 10
    assert run.rounds[0].output == "total 10\n"
    assert run.rounds[0].error is None
    assert run.rounds[0].time_to_first_token is not None and run.rounds[0].execution_time is not None
    out = capsys.readouterr().out
    assert "round 1 of 3" in out and "ran without error in round 1 of 3" in out
    assert "add up 0..4" in backend.calls[0][-1]["content"]


def test_error_then_fix_feeds_the_traceback_back(shell, scripted):
    backend = scripted([block("x = 1 / 0"), block("x = 1 / 2")])
    shell.run_cell("%%oci\nhalve one")
    run = oci_magic.last_run()
    assert run.status == "passed"
    assert [r.status for r in run.rounds] == ["failed", "passed"]
    error = run.rounds[0].error
    assert error.type == "ZeroDivisionError" and error.message == "division by zero"
    assert "x = 1 / 0" in error.traceback and "\x1b[" not in error.traceback
    assert "interactiveshell.py" not in error.traceback  # IPython's own frames are cut
    feedback = backend.calls[1][-1]
    assert feedback["role"] == "user"
    assert feedback["content"].startswith("Execution result: \nTraceback (most recent call last):")
    assert feedback["content"].endswith("ZeroDivisionError: division by zero")
    assert shell.user_ns["x"] == 0.5


def test_round_cap_stops_and_keeps_every_round(shell, scripted):
    scripted([block("raise ValueError('nope 1')"), block("raise ValueError('nope 2')")])
    shell.run_cell("%%oci --rounds 2\nfail")
    run = oci_magic.last_run()
    assert run.status == "failed" and len(run.rounds) == 2
    assert [r.code for r in run.rounds] == ["raise ValueError('nope 1')", "raise ValueError('nope 2')"]
    assert run.summary().startswith("failed after 2 rounds")


def test_reply_without_code_ends_with_no_code(shell, scripted, capsys):
    scripted(["I would rather not write code for that."])
    shell.run_cell("%%oci\nsay hello")
    run = oci_magic.last_run()
    assert run.status == "no_code" and run.rounds[0].code is None
    assert "I would rather not" in capsys.readouterr().out


def test_timeout_is_fed_back_and_the_loop_goes_on(shell, scripted):
    backend = scripted([block("import time\ntime.sleep(30)"), block("done = True")])
    shell.run_cell("%%oci --timeout 0.5\nwait")
    run = oci_magic.last_run()
    assert run.rounds[0].timed_out and run.rounds[0].execution_time < 5
    assert backend.calls[1][-1]["content"] == "Execution result: \nExecution timed out."
    assert run.status == "passed" and shell.user_ns["done"] is True


def test_timeout_in_the_last_round_is_the_run_status(shell, scripted):
    scripted([block("while True: pass")])
    shell.run_cell("%%oci --rounds 1 --timeout 0.3\nspin")
    assert oci_magic.last_run().status == "timeout"


class _InterruptedWhileWriting(ScriptedBackend):
    """Sends this process SIGINT (a Ctrl-C, a kernel interrupt) once `after` pieces of its reply are out:
    the interrupt lands while the model writes, however loaded the machine."""

    def __init__(self, replies, after: int) -> None:
        super().__init__(replies)
        self.after = after

    def stream_chat(self, messages, **options):
        for count, piece in enumerate(super().stream_chat(messages, **options), 1):
            yield piece
            if count == self.after:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)  # the interrupt lands here, before the rest


def test_interrupt_during_execution_stops_the_run(sigint_raises, shell, scripted):
    # The code interrupts itself once it runs: the interrupt lands during execution on any machine.
    interrupted = (
        "import os, signal, time\nstarted = True\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(20)"
    )
    scripted([block(interrupted), block("never = 1")])
    shell.run_cell("%%oci\nsleep")
    run = oci_magic.last_run()
    assert run.status == "interrupted" and len(run.rounds) == 1
    assert run.rounds[0].interrupted and shell.user_ns["started"] is True
    assert "never" not in shell.user_ns


def test_interrupt_during_generation_stops_the_run_and_keeps_the_partial_reply(sigint_raises, shell):
    oci_magic.set_backend(_InterruptedWhileWriting([" ".join(["word"] * 200)], after=10))
    try:
        shell.run_cell("%%oci\ntalk")
    finally:
        oci_magic.set_backend(None)
    run = oci_magic.last_run()
    assert run.status == "interrupted"
    assert run.rounds[0].reply.startswith("word") and run.rounds[0].reply.count("word") == 10


def test_check_failing_then_passing(shell, scripted):
    backend = scripted(
        [
            block("def fib(n):\n    return n"),
            block(
                "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a"
            ),
        ]
    )
    shell.run_cell('%%oci --check "assert fib(10) == 55"\nfibonacci')
    run = oci_magic.last_run()
    assert run.status == "passed" and len(run.rounds) == 2
    assert run.rounds[0].error.type == "AssertionError"
    assert "The check `assert fib(10) == 55` failed:" in backend.calls[1][-1]["content"]
    assert shell.user_ns["fib"](10) == 55


def test_conversation_continues_across_calls_and_reset_forgets(shell, scripted):
    backend = scripted([block("a = 1"), block("b = a + 1"), block("c = 3")])
    shell.run_cell("%%oci\nset a")
    shell.run_cell("%%oci\nnow b from a")
    second = backend.calls[1]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert "set a" in second[1]["content"] and "a = 1" in second[2]["content"]
    # the first run's execution result and the new request share one user turn
    assert second[3]["content"].startswith("Execution result:") and "now b from a" in second[3]["content"]
    shell.run_line_magic("oci", "reset")
    shell.run_cell("%%oci\nset c")
    assert [m["role"] for m in backend.calls[2]] == ["system", "user"]


def test_new_flag_starts_a_fresh_conversation(shell, scripted):
    backend = scripted([block("a = 1"), block("b = 2")])
    shell.run_cell("%%oci\nset a")
    shell.run_cell("%%oci --new\nset b")
    assert len(backend.calls[1]) == 2


def test_no_run_generates_without_executing(shell, scripted):
    scripted([block("never_ran = True")])
    shell.run_cell("%%oci --no-run\nsomething")
    run = oci_magic.last_run()
    assert run.status == "generated" and not run.rounds[0].executed
    assert "never_ran" not in shell.user_ns


def test_notebook_context_reaches_the_model_and_can_be_turned_off(shell, scripted):
    backend = scripted([block("pass"), block("pass")])
    shell.run_cell("import pandas as pd\nsales = pd.DataFrame({'month': [1, 2], 'revenue': [3.0, 4.0]})")
    shell.run_cell("%%oci\nplot revenue")
    request = backend.calls[0][-1]["content"]
    assert "- sales: DataFrame 2×2 columns: 'month' int64, 'revenue' float64" in request
    assert "0      1      3.0" in request  # the first rows: what the columns hold
    shell.run_cell("%%oci --new --no-context\nplot revenue")
    assert "sales" not in backend.calls[1][-1]["content"]


def test_final_code_is_offered_as_the_next_cell(shell, scripted):
    scripted([block("y = 2"), block("raise RuntimeError('x')")])
    payloads = []
    original = shell.set_next_input
    shell.set_next_input = lambda text, replace=False: payloads.append(text)
    try:
        shell.run_cell("%%oci\nset y")
        shell.run_cell("%%oci --rounds 1\nbreak")
    finally:
        shell.set_next_input = original
    assert payloads[0] == "y = 2"
    assert payloads[1].startswith("# %%oci failed after 1 round") and payloads[1].endswith(
        "raise RuntimeError('x')"
    )


def test_a_failing_backend_is_recorded_not_lost(shell, scripted):
    oci_magic.set_backend(BrokenBackend())
    shell.run_cell("%%oci\nanything")
    run = oci_magic.last_run()
    assert run.status == "error" and "server went away" in run.message
    with pytest.raises(TypeError, match="stream_chat"):
        oci_magic.set_backend(object())


def test_long_conversations_are_trimmed_to_the_context_window(shell, scripted):
    backend = scripted([block(f"v{i} = {i}") for i in range(4)])
    backend.context_size = 1200  # tokens; the loop leaves max_tokens of it for the reply
    backend.count_tokens = lambda messages: sum(len(m["content"]) // 4 + 4 for m in messages)
    for i in range(4):
        shell.run_cell(f"%%oci --max-tokens 100 --no-context\nrequest {i} " + "pad " * 300)
    last = backend.calls[-1]
    assert backend.count_tokens(last) <= 1100
    assert last[0]["role"] == "system" and "request 3" in last[-1]["content"]
    assert not any("request 0" in m["content"] for m in last)  # the oldest went first
    assert oci_magic.last_run().status == "passed"


def test_a_request_too_long_for_the_context_says_so(shell, scripted):
    backend = scripted([block("pass")])
    backend.context_size = 300
    backend.count_tokens = lambda messages: sum(len(m["content"]) // 4 for m in messages)
    shell.run_cell("%%oci --max-tokens 100 --no-context\n" + "word " * 1000)
    run = oci_magic.last_run()
    assert run.status == "error" and "raise n_ctx" in run.message
    assert backend.calls == []  # nothing was sent that could not fit


def test_system_prompt_is_a_setting(shell, scripted):
    backend = scripted([block("a = 1"), block("b = 2")])
    shell.run_cell("%%oci\nset a")
    shell.run_line_magic("config", "OciMagics.system_prompt = 'Only write Python 2.'")
    shell.run_cell("%%oci\nset b")
    second = backend.calls[1]
    assert second[0] == {"role": "system", "content": "Only write Python 2."}
    assert "set a" in second[1]["content"]  # the conversation itself stays


def test_the_same_failing_code_is_not_run_twice_and_the_model_is_asked_afresh(shell, scripted, capsys):
    # Round 2's first reply repeats round 1 (only a comment and spacing differ): not run; the model is asked
    # again in a conversation of its own (the request and what went wrong, not the failed code), greedy.
    shell.user_ns["ran"] = []
    failing = "ran.append(1)\nraise ValueError('bad')"
    backend = scripted(
        [block(failing), block("# again\nran.append( 1 )\nraise ValueError('bad')"), block("ok = 2")]
    )
    shell.run_cell("%%oci\ndo it")
    run = oci_magic.last_run()
    assert shell.user_ns["ran"] == [1] and shell.user_ns["ok"] == 2  # the repeat never ran
    second = run.rounds[1]
    assert second.repeat_of == 1 and "# again" in second.repeated_reply and second.code == "ok = 2"
    fresh = backend.calls[2]
    assert [m["role"] for m in fresh] == ["system", "user"]  # no failed turn to copy from
    assert fresh[1]["content"] == second.retry_prompt
    stated = "- ran: list of 0: []\n\ndo it\n\nEarlier code written for this request did not work:\n"
    assert stated in second.retry_prompt
    assert "- `raise ValueError('bad')` raised ValueError: bad\n" in second.retry_prompt
    assert "ran.append" not in second.retry_prompt
    assert backend.options[2]["temperature"] == 0.0 and "seed" not in backend.options[2]
    out = capsys.readouterr().out
    assert "↻ the reply repeated the code of round 1, which failed: not run again" in out
    assert "ran without error in round 2 of 3" in out and "defined ok" in out


def test_a_fresh_reply_that_repeats_again_is_sampled_with_a_seed(shell, scripted):
    shell.user_ns["ran"] = []
    failing = block("ran.append(1)\nraise ValueError('bad')")
    backend = scripted([failing, failing, failing, block("ran.append(2)")])
    shell.run_cell("%%oci\ndo it")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["failed", "passed"]
    assert backend.options[3]["temperature"] == 0.7 and backend.options[3]["seed"] == 2
    assert backend.calls[3] == backend.calls[2]  # the same fresh conversation, sampled
    assert shell.user_ns["ran"] == [1, 2]


def test_a_retry_that_repeats_again_ends_the_round_unrun(shell, scripted):
    shell.user_ns["ran"] = []
    failing = block("ran.append(1)\nraise ValueError('bad')")
    scripted([failing, failing, failing, failing, block("ran.append(2)")])
    shell.run_cell("%%oci\ndo it")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["failed", "repeated", "passed"]
    assert shell.user_ns["ran"] == [1, 2]
    assert run.rounds[1].feedback.startswith("Execution result: \nThis is the same code as round 1")


def test_state_feedback_can_be_turned_off(shell, scripted):
    shell.user_ns["scores"] = {"ann": 1}
    backend = scripted([block("scores['Ann']"), block("scores['ann']")] * 2)
    shell.run_cell("%%oci\nget ann")
    assert "'Ann' is not among scores's keys, which are: 'ann'" in backend.calls[1][-1]["content"]
    shell.run_line_magic("config", "OciMagics.state_feedback = False")
    shell.run_cell("%%oci --new\nget ann")
    feedback = backend.calls[3][-1]["content"]
    assert "KeyError: 'Ann'" in feedback and "not among" not in feedback


def test_a_passing_round_says_what_it_defined_and_changed(shell, scripted, capsys):
    import pandas as pd

    shell.user_ns["sales"] = pd.DataFrame({"amount": [1, 2]})
    scripted([block("sales['double'] = sales['amount'] * 2\ntotal = int(sales['double'].sum())")])
    shell.run_cell("%%oci\ndouble and total")
    run = oci_magic.last_run()
    assert [str(item) for item in run.rounds[0].defined] == [
        "sales: DataFrame 2×2 columns: 'amount' int64, 'double' int64 (changed)",
        "total: int = 6",
    ]
    out = capsys.readouterr().out
    assert "○ ran without error, unverified · defined sales: DataFrame 2×2" in out
    assert "ran without error in round 1 of 3" in out and "defined sales, total" in out


def test_a_repair_without_code_is_asked_for_the_code(shell, scripted):
    backend = scripted([block("1 / 0"), "Divide by one instead of zero.", block("x = 1 / 1")])
    shell.run_cell("%%oci\ndivide")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["failed", "no_code", "passed"] and run.status == "passed"
    assert backend.calls[2][-1]["content"].startswith(
        "Execution result: \nThe reply has no code, so nothing ran."
    )


def test_a_second_look_lets_the_model_correct_a_round_that_passed(shell, scripted, capsys):
    """With second_look on, a round that passed is shown to the model with the values it defined; its
    correction runs as the next round, and the look happens once a run."""
    shell.user_ns["prices"] = [2.0, 4.0]
    shell.run_line_magic("config", "OciMagics.second_look = True")
    backend = scripted(
        [
            block("total = sum(prices)"),
            "The request asks for the mean, not the sum.\n" + block("total = sum(prices) / len(prices)"),
        ]
    )
    shell.run_cell("%%oci\nStore the mean price of prices in `total`.")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["passed", "passed"] and shell.user_ns["total"] == 3.0
    first = run.rounds[0]
    assert "What it defined:\n- total: float = 6.0\n" in first.look_prompt
    assert first.look_reply.startswith("The request asks for the mean")
    assert backend.calls[1][-1]["content"].endswith(first.look_prompt)  # after the execution result
    assert run.rounds[1].prompt == first.look_prompt and len(backend.calls) == 2  # once a run
    assert "ran without error in round 2 of 3" in capsys.readouterr().out


def test_a_second_look_that_confirms_ends_the_run(shell, scripted):
    shell.user_ns["prices"] = [2.0, 4.0]
    shell.run_line_magic("config", "OciMagics.second_look = True")
    backend = scripted([block("total = sum(prices) / len(prices)"), "DONE"])
    shell.run_cell("%%oci\nStore the mean price of prices in `total`.")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["passed"] and run.rounds[0].look_reply.strip() == "DONE"
    assert len(backend.calls) == 2
    shell.run_line_magic("config", "OciMagics.second_look = False")  # the default: no look
    backend = scripted([block("total = sum(prices) / len(prices)")])
    shell.run_cell("%%oci --new\nStore the mean price of prices in `total`.")
    assert len(backend.calls) == 1 and oci_magic.last_run().rounds[0].look_reply == ""
