"""The real small model (Gemma 3 270M from PyPI) through the whole %%oci path in a real IPython shell."""

import pytest

import oci_magic
from oci_magic.backends import llamacpp

# A quantized model decoding in this process: in a child, so that a native crash fails this test alone.
pytestmark = [pytest.mark.slow, pytest.mark.isolated]


def test_small_model_end_to_end(shell, small_model, capsys):
    shell.run_line_magic("config", f"OciMagics.model = {str(small_model)!r}")
    llamacpp.release_cached()
    result = shell.run_cell("%%oci --no-context\nwrite a function add(a, b) that returns a + b")
    assert result.error_in_exec is None
    out = capsys.readouterr().out
    assert "loading gemma-3-270m-q4_k_m.gguf" in out and "round 1 of 3" in out
    run = oci_magic.last_run()
    # What a 270M base model writes is one machine's greedy text: not asserted. That it wrote, that its
    # code (if any) ran in this shell, and that the run ended with an outcome is the mechanism.
    assert run.status in ("passed", "failed", "incomplete", "no_code", "timeout"), run.status
    assert f"══ {run.summary()}" in out
    first = run.rounds[0]
    assert first.reply and first.generated_tokens > 0
    assert first.tokens_per_second > 0 and first.time_to_first_token > 0
    assert first.prompt_tokens_evaluated == first.prompt_tokens  # nothing cached yet
    backend = llamacpp.cached_backend()
    assert backend.format.name == "completion"  # a base model: no chat template in the file

    # A follow-up reuses the loaded model and the cached conversation prefix.
    shell.run_cell("%%oci --rounds 1 --no-context\nnow call add(2, 3)")
    assert llamacpp.cached_backend() is backend
    assert "loading" not in capsys.readouterr().out
    follow_up = oci_magic.last_run().rounds[0]
    assert follow_up.prompt_tokens_evaluated < follow_up.prompt_tokens / 2

    shell.run_line_magic("oci", "status")
    status = capsys.readouterr().out
    for field in (
        "gemma-3-270m-q4_k_m.gguf",
        "chat format: completion",
        "context: 4096",
        "threads:",
        "GPU layers:",
        "load time:",
        "last run:",
    ):
        assert field in status
    llamacpp.release_cached()
