"""Will the model fit? What a GGUF model and its KV cache need, against the memory this machine has free.

Checked before loading, so that a model too big for the machine gets a message with the numbers and the fix
instead of the kernel being killed by the out-of-memory killer half way through the load.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Estimate", "estimate", "available_ram", "free_vram", "fits_message"]

OVERHEAD_BYTES = 300 * 2**20  # compute buffers, the vocabulary, the Python side


@dataclass(frozen=True)
class Estimate:
    weights: int
    kv_cache: int
    overhead: int = OVERHEAD_BYTES

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


def gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def _metadata(path: Path) -> dict:
    """The GGUF's metadata, read by llama.cpp itself without loading any weights."""
    import llama_cpp

    from oci_magic.backends.llamacpp import route_native_log

    route_native_log(False)  # llama.cpp's warnings about this throwaway context mean nothing here
    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, n_ctx=16, verbose=False)
    try:
        return dict(llm.metadata)
    finally:
        llm.close()
        release_freed_memory()  # the vocabulary just read (tens of MB) would otherwise stay in the heap


def release_freed_memory() -> None:
    """Give memory freed by native code back to the system (glibc keeps it in the heap otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def estimate(path: str | os.PathLike, n_ctx: int, *, metadata: dict | None = None) -> Estimate:
    """Weights (the file's size: llama.cpp maps it) plus an f16 KV cache of `n_ctx` tokens.

    The weights count once even with repacking: the repacked copy is what stays, and the mapped file's pages
    are page cache the system can reclaim while the load runs, released by the backend right after it."""
    path = Path(path)
    meta = metadata if metadata is not None else _metadata(path)
    arch = meta.get("general.architecture", "llama")

    def number(key: str, default: int = 0) -> int:
        value = meta.get(f"{arch}.{key}")
        return int(value) if value not in (None, "") else default

    layers = number("block_count")
    embedding = number("embedding_length")
    heads = number("attention.head_count", 1) or 1
    kv_heads = number("attention.head_count_kv", heads) or heads
    key_length = number("attention.key_length", embedding // heads)
    value_length = number("attention.value_length", embedding // heads)
    kv_per_token = layers * kv_heads * (key_length + value_length) * 2  # f16: two bytes an element
    return Estimate(weights=path.stat().st_size, kv_cache=kv_per_token * n_ctx)


def available_ram() -> int | None:
    """Bytes of memory free for a new model: MemAvailable, within a container's memory limit."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except OSError:
        try:
            import psutil

            available = psutil.virtual_memory().available
        except ImportError:
            return None
    try:  # cgroup v2: a container may allow less than the machine has
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max" and available is not None:
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            available = min(available, int(limit) - used)
    except (OSError, ValueError):
        pass
    return available


def free_vram() -> int | None:
    """Free memory of the first NVIDIA GPU (nvidia-smi), or None when there is none to ask."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return int(out.splitlines()[0]) * 2**20
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


def fits_message(
    need: Estimate, available: int | None, *, n_ctx: int, where: str = "free memory"
) -> str | None:
    """None when it fits (or nothing is known); else one paragraph with the numbers and the fixes."""
    if available is None or need.total <= available:
        return None
    parts = f"{gib(need.weights)} of weights, {gib(need.kv_cache)} of KV cache for n_ctx = {n_ctx}"
    return (
        f"this model needs about {gib(need.total)} ({parts}, {gib(need.overhead)} of buffers) but only "
        f"{gib(available)} of {where} is left. Use a smaller model or quantization (e.g. oci-ds-6.7b instead "
        f"of oci-ds-33b), lower the context (%config OciMagics.n_ctx = {max(512, n_ctx // 2)}), or close "
        "what else uses memory. %config OciMagics.check_memory = False loads it anyway."
    )
