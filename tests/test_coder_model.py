"""The real Qwen2.5-Coder-0.5B-Instruct (the `coder-small` extra, from PyPI) through %%oci in a real
ipykernel: a first attempt that raises, its repair, and llama.cpp's prompt cache across the repair round."""

from __future__ import annotations

import pytest
from live_kernel import LiveKernel

from oci_magic.evaluation.notebook import NotebookSettings, select_notebook_tasks, solve_task

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernel():
    kernel = LiveKernel()
    kernel.load_oci("qwen-coder-0.5b")
    yield kernel
    kernel.close()


def test_the_coder_model_repairs_its_first_attempt_from_the_error(kernel):
    # Greedy decoding: the model's first first_word() takes text.split()[0], the check's empty text raises
    # IndexError, and the repair guards it. The same every run on the same model file.
    reply = kernel.run(
        "%%oci --check \"assert first_word('') == '' and first_word('hello big world') == 'hello'\"\n"
        "write a function first_word(text) that returns the first word of a text",
        timeout=600,
    )
    assert reply.status == "ok", reply.text
    assert "Qwen2.5 Coder 0.5B Instruct" in reply.stdout
    assert kernel.value("[r.status for r in _oci.rounds]") == ["failed", "passed"]
    assert kernel.value("_oci.rounds[0].error.type") == "IndexError"
    assert kernel.value("[first_word(''), first_word('two words')]") == ["", "two"]
    # The repair round's prompt is round 1's prompt + its reply + the feedback: llama.cpp evaluated only
    # the feedback's tokens, Qwen's chat template re-rendering the earlier turns token for token.
    first, second = kernel.value(
        "[(r.prompt_tokens, r.prompt_tokens_evaluated, r.generated_tokens) for r in _oci.rounds]"
    )
    assert first[1] == first[0]  # a fresh conversation: all of it evaluated
    assert second[1] == second[0] - (first[0] + first[2])


def test_status_names_the_model_and_why(kernel):
    status = kernel.run("%oci status").stdout
    assert "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" in status
    assert "chat format: template" in status
    assert "chosen by: --model / OciMagics.model: qwen-coder-0.5b" in status


@pytest.mark.parametrize("state_feedback", [True, False])
def test_what_the_code_saw_is_what_repairs_a_data_trap(state_feedback):
    # A suite task (events.csv's date column is `when`): the model guesses a column, gets a KeyError, and
    # repairs it in round 2 only because the feedback shows the frame's columns and first rows; with the
    # traceback alone (state_feedback off) it repeats its code. Greedy, real kernels, real %%oci: the same
    # every run on the same model file.
    task = select_notebook_tasks("renamed-column")[0]
    setup = "" if state_feedback else "%config OciMagics.state_feedback = False"
    result = solve_task(task, NotebookSettings(model="qwen-coder-0.5b", kernel_setup=setup))
    statuses = [r["status"] for r in result.runs[-1]["rounds"]]
    assert not result.solved_after[0], statuses
    if state_feedback:
        assert result.solved, (statuses, result.reasons)
    else:
        assert not result.solved, statuses
