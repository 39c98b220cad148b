"""The memory-read limit of plain decoding on this machine: every generated token reads the model's
weights once, so tokens/s can be at most (bytes/s the machine reads) / (bytes of weights a token reads).

The read speed is measured here on a large array, summed by as many threads as llama.cpp uses; the bytes per
token come from the GGUF's tensor table.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = ["read_speed", "weight_bytes_per_token"]

MIB = 2**20


def read_speed(threads: int, *, size: int = 512 * MIB, repeats: int = 3) -> float:
    """Bytes per second read from memory by `threads` threads (numpy's sums release the GIL), best of
    `repeats`. The array is far larger than the CPU's caches, and written first so that its pages are real
    (an untouched zeroed array would be read from one shared page)."""
    import numpy as np

    data = np.ones(size // 8, dtype=np.float64)
    parts = np.array_split(data, max(1, threads))
    best = float("inf")
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        for _ in range(repeats):
            started = time.perf_counter()
            total = sum(pool.map(np.sum, parts))
            best = min(best, time.perf_counter() - started)
    assert total == len(data)  # every element was read
    return data.nbytes / best


def weight_bytes_per_token(path: str | Path) -> int:
    """Bytes of weights one decoded token reads: every tensor, except the token embedding when the model
    has a separate output matrix (then a token reads one row of it); a tied embedding is the output matrix
    and is read whole. The file size when the tensor table cannot be read (the `gguf` package is missing)."""
    try:
        from gguf import GGUFReader
    except ImportError:
        return Path(path).stat().st_size
    tensors = {tensor.name: int(tensor.n_bytes) for tensor in GGUFReader(str(path)).tensors}
    total = sum(tensors.values())
    if "output.weight" in tensors:
        total -= tensors.get("token_embd.weight", 0)
    return total
