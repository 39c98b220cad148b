"""Will it fit: estimates from GGUF metadata, the refusal before a load, and `oci-magic doctor`."""

import subprocess
import sys

import pytest
from IPython.core.error import UsageError

from oci_magic.models import memory

# OpenCodeInterpreter-DS-6.7B's shape (FACTS: llama, 32 layers, 4096 wide, 32 heads, no GQA)
DS_6_7B = {
    "general.architecture": "llama",
    "llama.block_count": 32,
    "llama.embedding_length": 4096,
    "llama.attention.head_count": 32,
    "llama.attention.head_count_kv": 32,
}


def test_kv_cache_of_a_6_7b_model_at_4096_tokens_is_2_gib(tiny_gguf):
    need = memory.estimate(tiny_gguf, 4096, metadata=DS_6_7B)
    assert need.kv_cache == 2 * 2**30  # what llama.cpp allocates for DS-6.7B: 2048 MiB of f16 K and V
    assert need.weights == tiny_gguf.stat().st_size


def test_estimate_reads_the_real_file(tiny_gguf, small_model):
    tiny = memory.estimate(tiny_gguf, 1000)
    assert 0 < tiny.kv_cache < 10 * 2**20
    small = memory.estimate(small_model, 4096)
    assert small.weights == small_model.stat().st_size and small.kv_cache > tiny.kv_cache


def test_a_model_that_cannot_fit_is_refused_before_loading(shell, tiny_gguf, widget_views):
    from oci_magic.backends import llamacpp

    llamacpp.release_cached()
    shell.run_line_magic("config", f"OciMagics.model = {str(tiny_gguf)!r}")
    shell.run_line_magic("config", "OciMagics.n_ctx = 2_000_000_000")  # a KV cache far beyond this machine
    with pytest.raises(UsageError, match=r"needs about .* GiB .* but only .* GiB of free memory is left"):
        shell.run_cell("%%oci\nanything").raise_error()
    assert llamacpp.cached_backend() is None  # nothing was loaded
    assert "OciMagics.n_ctx = 1000000000" in widget_views[0].status.value


def test_fits_message_is_silent_when_it_fits_or_nothing_is_known():
    need = memory.Estimate(weights=2**30, kv_cache=2**30)
    assert memory.fits_message(need, 8 * 2**30, n_ctx=4096) is None
    assert memory.fits_message(need, None, n_ctx=4096) is None
    assert "check_memory = False" in memory.fits_message(need, 2**30, n_ctx=4096)


def test_doctor_reports_the_build_memory_and_the_model():
    done = subprocess.run([sys.executable, "-m", "oci_magic.cli", "doctor"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "llama.cpp build: CPU :" in out and "GPU backend compiled in:" in out
    assert "AMX weight-repacking workaround:" in out and "free memory:" in out
    assert "weight repacking with cpu_repack = auto: o" in out
    assert "it needs about" in out and "fits" in out
    assert done.stderr == ""


def _mapped_rss(path) -> int:
    """Bytes of `path`'s mappings resident in this process, from /proc/self/smaps."""
    total, inside, target = 0, False, str(path.resolve())
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
                inside = fields[-1] == target
            elif inside and fields[0] == "Rss:":
                total += int(fields[1]) * 1024
    return total


@pytest.mark.isolated  # page releasing under repacked weights: a native crash fails this test alone
@pytest.mark.skipif(sys.platform != "linux", reason="madvise on /proc/self/maps' mappings is Linux's")
def test_repacked_weights_are_not_kept_twice_and_the_model_answers_the_same(small_model, monkeypatch):
    from oci_magic.backends import llamacpp

    if llamacpp.crashing_settings(cpu_repack="on") is not None:
        # A build with AMX (an Intel Xeon of the Sapphire Rapids kind): repacked weights crash the first
        # decode, so there are none to measure here. The refusal itself is tested on every machine
        # (test_survival, with AMX in the build's description).
        pytest.skip("this llama.cpp build uses AMX, where repacked weights crash: nothing to release here")
    messages = [{"role": "user", "content": "Write a Python function that adds two numbers."}]
    replies, resident = [], []
    for release in (True, False):
        if not release:
            monkeypatch.setattr(llamacpp, "release_mapped_file", lambda path: 0)
        backend = llamacpp.LlamaCppBackend(small_model, n_ctx=512, cpu_repack="on", n_gpu_layers=0)
        try:
            resident.append(_mapped_rss(small_model))
            assert (backend.released_bytes > 0) == release
            replies.append("".join(backend.stream_chat(messages, max_tokens=48)))
        finally:
            backend.close()
    # Released: none of the file is resident right after the load; kept: most of it.
    assert resident[0] == 0 and resident[1] > small_model.stat().st_size // 2
    # The pages that come back hold the same weights: the same kernels on the same bytes decode the same
    # tokens, on any CPU (both replies come from this machine's kernels).
    assert replies[0] == replies[1] and replies[0]
