import pytest

from oci_magic.backends import estimate_tokens
from oci_magic.errors import ContextOverflowError
from oci_magic.loop.prompts import (
    EMPTY_RESULT,
    feedback_message,
    fit_messages,
    request_message,
    trim_middle,
)


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("short", 100, "short"),
        ("x" * 100, 100, "x" * 100),
        ("a" * 50 + "b" * 100 + "c" * 50, 60, "a" * 20 + "\n...(140 characters cut)...\n" + "c" * 40),
        ("anything", 0, "anything"),
    ],
)
def test_trim_middle(text, limit, expected):
    assert trim_middle(text, limit) == expected


TRACEBACK = 'Traceback (most recent call last):\n  File "<cell>", line 1\nZeroDivisionError: division by zero'


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        (dict(output="42\n", error_text=None), "Execution result: \n42"),
        (dict(output="", error_text=None), f"Execution result: \n{EMPTY_RESULT}"),
        (dict(output="", error_text=TRACEBACK), f"Execution result: \n{TRACEBACK}"),
        (dict(output="partial\n", error_text=TRACEBACK), f"Execution result: \npartial\n{TRACEBACK}"),
        (dict(output="", error_text=None, timed_out=True), "Execution result: \nExecution timed out."),
        (
            dict(output="", error_text=None, interrupted=True),
            "Execution result: \nExecution was interrupted by the user.",
        ),
        (
            dict(output="", error_text="AssertionError", check="assert f(1) == 2", check_failed=True),
            "Execution result: \nThe check `assert f(1) == 2` failed:\nAssertionError",
        ),
    ],
)
def test_feedback_message(kwargs, expected):
    assert feedback_message(**kwargs) == expected


def test_feedback_keeps_the_end_of_a_long_traceback_within_budget():
    long_error = "\n".join(f"  frame {i}" for i in range(2000)) + "\nValueError: the real cause"
    message = feedback_message(output="y" * 10_000, error_text=long_error, limit=2000)
    assert message.endswith("ValueError: the real cause")
    assert len(message) < 2000 + 200  # the budget, plus the cut markers and the header
    assert "characters cut" in message


def test_request_message_puts_the_variables_before_the_request():
    assert request_message("  plot df  ") == "plot df"
    message = request_message("plot df", "- df: DataFrame 3×2")
    assert message.startswith("Variables already defined in the notebook:\n- df: DataFrame 3×2")
    assert message.endswith("\n\nplot df")


def _conversation(rounds_before: int, rounds_now: int) -> tuple[list[dict], int]:
    messages = [{"role": "system", "content": "s" * 35}]
    for i in range(rounds_before):
        messages += [
            {"role": "user", "content": f"old request {i} " + "u" * 340},
            {"role": "assistant", "content": f"old reply {i} " + "a" * 340},
        ]
    start = len(messages)
    messages.append({"role": "user", "content": "current request"})
    for i in range(rounds_now):
        messages += [
            {"role": "assistant", "content": f"reply {i} " + "r" * 340},
            {"role": "user", "content": f"feedback {i} " + "f" * 340},
        ]
    return messages, start


def count(messages):
    return sum(estimate_tokens(m["content"]) for m in messages)


def test_fit_messages_keeps_everything_that_fits():
    messages, start = _conversation(2, 1)
    assert fit_messages(messages, budget=10_000, count_tokens=count, current_start=start) == messages


def test_fit_messages_drops_old_requests_first_then_old_rounds():
    messages, start = _conversation(3, 3)
    budget = count(messages) - 150  # one old exchange too many
    kept = fit_messages(messages, budget=budget, count_tokens=count, current_start=start)
    assert kept[0]["role"] == "system"
    assert not any("old request 0" in m["content"] for m in kept)
    assert any("old request 2" in m["content"] for m in kept)
    assert count(kept) <= budget

    tight = count([messages[0], messages[start]] + messages[-2:]) + 5
    kept = fit_messages(messages, budget=tight, count_tokens=count, current_start=start)
    assert [m["content"][:9] for m in kept] == ["s" * 9, "current r", "reply 2 r", "feedback "]
    roles = [m["role"] for m in kept[1:]]
    assert roles == ["user", "assistant", "user"]  # still alternating


def test_fit_messages_says_how_to_fix_a_request_that_cannot_fit():
    messages, start = _conversation(0, 0)
    messages[start]["content"] = "x" * 10_000
    with pytest.raises(ContextOverflowError, match="raise n_ctx"):
        fit_messages(messages, budget=100, count_tokens=count, current_start=start)


def test_feedback_names_the_code_as_tracebacks_do_not_by_the_kernels_process_id():
    # A warning names the cell's file, which holds ipykernel's process id: the same run would be told
    # something different each time.
    warned = "/tmp/ipykernel_7096/2632494239.py:1: ChainedAssignmentError: A value is set on a copy\n"
    message = feedback_message(output=warned, error_text=None)
    assert "your code, line 1: ChainedAssignmentError" in message and "7096" not in message
    other = feedback_message(output=warned.replace("7096", "10954"), error_text=None)
    assert other == message


def test_naming_the_code_stays_linear_on_a_huge_printed_line():
    # A single 2-million-character line that mentions ipykernel_ but is no warning: a regex that backtracks
    # over it would take hours.
    huge = "x" * 2_000_000 + " ipykernel_12/34.py"
    assert feedback_message(output=huge, error_text=None, limit=100).startswith("Execution result: \nxxx")
    line = "x" * 2_000_000 + "\n/tmp/ipykernel_12/34.py:5: UserWarning: careful\n"
    assert "your code, line 5: UserWarning" in feedback_message(output=line, error_text=None, limit=10_000)
