"""Measurements taken inside the kernel that runs `%%oci` (the benchmark's notebook calls these): the same
process, model, threads and cache as the user's cells. Each returns a dict of figures (seconds, tokens/s,
bytes) that the benchmark prints and compares.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from typing import Any

from oci_magic.jupyter.manager import of_this_kernel

__all__ = ["rss", "loaded", "oci_decode", "raw_decode", "second_call", "repair", "speculation", "peak_memory"]


def rss() -> int:
    """This process's resident memory now, in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _peak_rss() -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _backend():
    from oci_magic.backends import llamacpp

    backend = llamacpp.cached_backend()
    if backend is None:
        raise RuntimeError("no model is loaded in this kernel: run a %%oci cell first")
    return backend


def loaded() -> dict[str, Any]:
    backend = _backend()
    return {
        "model": backend.name,
        "file": str(backend.path),
        "file_bytes": backend.path.stat().st_size,
        "threads": backend.n_threads,
        "n_ctx": backend.context_size,
        "load_seconds": backend.load_time,
    }


def oci_decode() -> dict[str, Any]:
    """The decode speed of the last `%%oci` (its first round), as the loop measured it."""
    round_ = of_this_kernel().last_run.rounds[0]
    return {
        "tokens": round_.generated_tokens,
        "tokens_per_second": round_.tokens_per_second,
        "time_to_first_token": round_.time_to_first_token,
    }


def _first_prompt_tokens() -> list[int]:
    """The tokens of the last `%%oci`'s first prompt (its conversation was started with --new)."""
    backend = _backend()
    messages = of_this_kernel().conversation.messages
    request_at = next(index for index, message in enumerate(messages) if message["role"] == "user")
    return backend._tokens(backend.format.render(messages[: request_at + 1]))


def _forget_cache(llm) -> None:
    """Empty llama.cpp's KV cache and llama-cpp-python's record of it: the next prompt is evaluated cold."""
    import llama_cpp

    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm._ctx.ctx), True)
    llm.reset()


def raw_decode(n_tokens: int) -> dict[str, Any]:
    """Greedy decoding of `n_tokens` after the last `%%oci`'s prompt through llama.cpp's C API alone
    (llama_decode + the greedy sampler): no oci_magic and no llama-cpp-python high-level code in the loop.
    Timed like the loop times a round: from the first token to the last."""
    import llama_cpp

    llm = _backend()._llm
    ctx = llm._ctx.ctx
    prompt = _first_prompt_tokens()
    _forget_cache(llm)
    for start in range(0, len(prompt), llm.n_batch):
        chunk = prompt[start : start + llm.n_batch]
        tokens = (llama_cpp.llama_token * len(chunk))(*chunk)  # kept alive: the batch only points at it
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(tokens, len(chunk))):
            raise RuntimeError("llama_decode failed on the prompt")
    sampler = llama_cpp.llama_sampler_init_greedy()
    one = (llama_cpp.llama_token * 1)()
    try:
        one[0] = llama_cpp.llama_sampler_sample(sampler, ctx, -1)  # the first token: prompt time, not decode
        started = time.perf_counter()
        for _ in range(n_tokens - 1):
            if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1)):
                raise RuntimeError("llama_decode failed")
            one[0] = llama_cpp.llama_sampler_sample(sampler, ctx, -1)
        elapsed = time.perf_counter() - started
    finally:
        llama_cpp.llama_sampler_free(sampler)
        _forget_cache(llm)
    return {"tokens": n_tokens, "tokens_per_second": (n_tokens - 1) / elapsed}


def second_call(request: str, repeats: int = 3) -> dict[str, Any]:
    """What a `%%oci` costs besides the model, with the model loaded and the prompt cached: the wall time
    of the cell less the time spent in the backend's stream (one token), median of `repeats`."""
    from IPython import get_ipython

    shell = get_ipython()
    overheads, totals = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        shell.run_cell_magic("oci", "--new --no-run --rounds 1 --max-tokens 1", request)
        total = time.perf_counter() - started
        round_ = of_this_kernel().last_run.rounds[0]
        overheads.append(total - (round_.generation_time or 0.0))
        totals.append(total)
    return {"seconds": statistics.median(overheads), "cell_seconds": statistics.median(totals)}


def _time_to_first_token(backend, messages: list[dict]) -> tuple[float, dict[str, Any]]:
    import llama_cpp

    perf = llama_cpp.llama_perf_context(backend._llm._ctx.ctx)
    before = (perf.n_p_eval, perf.t_p_eval_ms)
    started = time.perf_counter()
    reply = backend.stream_chat(messages, temperature=0.0, max_tokens=1)
    next(reply, None)
    first = time.perf_counter() - started
    for _ in reply:
        pass
    perf = llama_cpp.llama_perf_context(backend._llm._ctx.ctx)
    evaluated = perf.n_p_eval - before[0]
    seconds = (perf.t_p_eval_ms - before[1]) / 1000
    return first, {
        "prompt_tokens": reply.stats.prompt_tokens,
        "evaluated": evaluated,
        "eval_seconds": seconds,
    }


def repair(request: str, feedback: str, reply_tokens: int = 300) -> dict[str, Any]:
    """Time to first token of a repair round: the history (request + a `reply_tokens` reply) is in the
    cache as after round 1, against the same prompt evaluated cold; and prompt evaluation speed cold."""
    from oci_magic.loop.prompts import SYSTEM_PROMPT

    backend = _backend()
    round_one = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": request}]
    _forget_cache(backend._llm)
    reply = "".join(backend.stream_chat(round_one, temperature=0.0, max_tokens=reply_tokens))
    round_two = round_one + [{"role": "assistant", "content": reply}, {"role": "user", "content": feedback}]
    warm, warm_stats = _time_to_first_token(backend, round_two)
    _forget_cache(backend._llm)
    cold, cold_stats = _time_to_first_token(backend, round_two)
    return {
        "prompt_tokens": cold_stats["prompt_tokens"],
        "warm_seconds": warm,
        "warm_evaluated": warm_stats["evaluated"],
        "cold_seconds": cold,
        "cold_evaluated": cold_stats["evaluated"],
        "prompt_eval_tokens_per_second": cold_stats["evaluated"] / cold_stats["eval_seconds"],
    }


def plan_steps(request: str, steps: list[str], max_tokens: int) -> dict[str, Any]:
    """A plan's steps through the loop on the loaded model, each step's code written and not run (--no-run),
    after a fixed plan: per step, the conversation's length in tokens and how many llama.cpp evaluated (the
    rest came from its prompt cache), and the time to the first token."""
    from oci_magic.executors import Executor
    from oci_magic.loop.conversation import Conversation
    from oci_magic.loop.run import LoopSettings, run_request
    from oci_magic.plan.prompts import plan_message, step_message

    backend = _backend()
    _forget_cache(backend._llm)
    conversation = Conversation()
    conversation.add_user(plan_message(request, "", "", len(steps)))
    conversation.add_assistant("\n".join(f"{index}. {text}" for index, text in enumerate(steps, 1)))
    settings = LoopSettings(max_rounds=1, execute=False, max_tokens=max_tokens)
    rows = []
    for index, text in enumerate(steps, 1):
        asked = step_message(index, len(steps), text)
        # --no-run: the step's code is written, never run; the base executor has nothing to run it on.
        run = run_request(text, backend=backend, executor=Executor(), conversation=conversation,
                          settings=settings, asked=asked)  # fmt: skip
        first = run.rounds[0]
        rows.append(
            {
                "prompt_tokens": first.prompt_tokens,
                "evaluated": first.prompt_tokens_evaluated,
                "first_token_seconds": first.time_to_first_token,
                "generated_tokens": first.generated_tokens,
            }
        )
    return {"steps": rows}


def _decode(backend, messages: list[dict], mode: str, max_tokens: int) -> dict[str, Any]:
    """One greedy reply from a cold cache with speculation `mode`: its text and decode speed (first token to
    last, as the loop times a round)."""
    backend.speculation = mode
    _forget_cache(backend._llm)
    text, first = "", None
    reply = backend.stream_chat(messages, temperature=0.0, max_tokens=max_tokens)
    for chunk in reply:
        first = first if first is not None else time.perf_counter()
        text += chunk
    seconds = time.perf_counter() - first
    stats = reply.stats
    return {
        "text": text,
        "tokens": stats.generated_tokens,
        "tokens_per_second": (stats.generated_tokens - 1) / seconds,
        "drafted": stats.drafted_tokens or 0,
        "accepted": stats.accepted_tokens or 0,
    }


def speculation(request: str, feedback: str, max_tokens: int, repeats: int = 3) -> dict[str, Any]:
    """Decode speed of a fresh request and of its repair round (the same history) with speculative
    decoding on and off, in turns; the acceptance rate, and whether the greedy texts were the same."""
    from oci_magic.loop.prompts import SYSTEM_PROMPT

    backend = _backend()
    setting = backend.speculation
    fresh = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": request}]
    try:
        backend.speculation = "off"
        reply = "".join(backend.stream_chat(fresh, temperature=0.0, max_tokens=max_tokens))
        repair = fresh + [{"role": "assistant", "content": reply}, {"role": "user", "content": feedback}]
        figures: dict[str, Any] = {}
        for kind, messages in (("fresh", fresh), ("repair", repair)):
            runs: dict[str, list[dict[str, Any]]] = {"off": [], "ngram": []}
            for repeat in range(repeats):
                for mode in ("off", "ngram") if repeat % 2 == 0 else ("ngram", "off"):
                    runs[mode].append(_decode(backend, messages, mode, max_tokens))
            on, off = runs["ngram"][0], runs["off"][0]
            figures[kind] = {
                "tokens": off["tokens"],
                "off_tokens_per_second": statistics.median(run["tokens_per_second"] for run in runs["off"]),
                "on_tokens_per_second": statistics.median(run["tokens_per_second"] for run in runs["ngram"]),
                "drafted": on["drafted"],
                "accepted": on["accepted"],
                "same_text": all(run["text"] == off["text"] for run in runs["off"] + runs["ngram"]),
            }
    finally:
        backend.speculation = setting
    return figures


def peak_memory(baseline: int) -> dict[str, Any]:
    """The kernel's peak resident memory, above what it used before the model was loaded."""
    from oci_magic.models.memory import estimate

    backend = _backend()
    need = estimate(backend.path, backend.context_size)
    peak = _peak_rss()
    return {
        "baseline_bytes": baseline,
        "peak_bytes": peak,
        "peak_above_baseline_bytes": peak - baseline,
        "model_file_bytes": backend.path.stat().st_size,
        "kv_cache_bytes": need.kv_cache,
    }
