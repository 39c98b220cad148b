"""Fill-in-the-middle from the loaded model, for suggestions as the user types.

Code models trained for it (Qwen2.5-Coder, DeepSeek-Coder and so OpenCodeInterpreter) complete a gap when
shown the text before it and after it between special tokens. The suggestions run in a llama.cpp context of
their own on the model `%%oci` loaded: the weights are the same (not loaded twice), the KV cache is another,
so a suggestion never evicts the conversation that `%%oci`'s next round reuses. Between keystrokes the
prompt changes at its end (the text before the cursor grows), and only what changed is evaluated again.

`cancelled()` is asked between tokens and between prompt batches: a suggestion stops within one token's
time when the user types on or a cell starts. A suggestion holds the backend's lock, as a reply does: the
model cannot be freed under it, and a `%%oci` waits at most for the token being computed when it starts.
The backend makes its engine (`LlamaCppBackend.suggestions()`) and closes it before the model.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import llama_cpp  # this module is imported only once a model is loaded
import numpy as np
from llama_cpp._internals import LlamaBatch, LlamaContext

__all__ = ["FimMarkers", "FimEngine", "markers_of", "MARKERS"]

BATCH = 128  # tokens a prompt batch holds: as small as the chat context's, so a cancel lands soon


@dataclass(frozen=True)
class FimMarkers:
    """The special tokens around the gap, in prefix-suffix-middle order."""

    prefix: str
    suffix: str
    middle: str

    def prompt(self, before: str, after: str) -> str:
        return f"{self.prefix}{before}{self.suffix}{after}{self.middle}"


MARKERS = (
    FimMarkers("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),  # Qwen2.5-Coder, StarCoder 2
    FimMarkers(
        "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"
    ),  # DeepSeek-Coder, OpenCodeInterpreter-DS
)


def markers_of(llm: Any) -> FimMarkers | None:
    """The markers this model's vocabulary has as single special tokens, or None (no FIM training)."""
    for markers in MARKERS:
        ids = [llm.tokenize(text.encode(), add_bos=False, special=True) for text in vars(markers).values()]
        if all(len(found) == 1 for found in ids):
            return markers
    return None


class FimEngine:
    """Suggestions from `backend` (a loaded LlamaCppBackend) in a context of `n_ctx` tokens of their own."""

    def __init__(self, backend: Any, *, n_ctx: int = 2048) -> None:
        self.backend, self._llm = backend, backend._llm
        markers = markers_of(self._llm)
        if markers is None:
            raise ValueError(f"{backend.name} was not trained to fill in the middle: no suggestions from it")
        self.markers = markers
        self._stops = {self.tokens(marker)[0] for marker in vars(markers).values()}
        self._vocab = self._llm.n_vocab()
        params = llama_cpp.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, BATCH, BATCH
        params.n_threads = params.n_threads_batch = backend.n_threads
        self._ctx = LlamaContext(model=self._llm._model, params=params, verbose=False)
        self._batch = LlamaBatch(n_tokens=BATCH, embd=0, n_seq_max=1, verbose=False)
        self.n_ctx = n_ctx
        self._cached: list[int] = []  # the tokens in this context's KV cache, in order
        self.evaluated = 0  # prompt tokens evaluated by the last suggestion (the rest came from the cache)

    def tokens(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def stream(
        self, before: str, after: str, *, max_tokens: int = 64, cancelled: Callable[[], bool] = lambda: False
    ) -> Iterator[str]:
        """The middle's text as it is written (greedy), until the model ends it, `max_tokens`, or
        `cancelled()`. The caller keeps the prompt within `n_ctx` less `max_tokens`."""
        prompt = self.tokens(self.markers.prompt(before, after))
        if len(prompt) + max_tokens > self.n_ctx:
            raise ValueError(f"the prompt has {len(prompt)} tokens; the context {self.n_ctx}")
        with self.backend._lock:  # the model stays loaded while this context uses it
            if not self._evaluate(prompt, cancelled):
                return
            decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
            for _ in range(max_tokens):
                token = self._greedy()
                if token in self._stops or self.backend._is_end(token) or cancelled():
                    return
                text = decoder.decode(self.backend._piece(token))
                if text:
                    yield text
                self._decode([token])

    def _evaluate(self, prompt: list[int], cancelled: Callable[[], bool]) -> bool:
        """Evaluate what of `prompt` the cache lacks (at least its last token); False when cancelled."""
        keep = 0
        for cached, token in zip(self._cached, prompt[:-1], strict=False):
            if cached != token:
                break
            keep += 1
        self._ctx.kv_cache_seq_rm(-1, keep, -1)
        del self._cached[keep:]
        self.evaluated = len(prompt) - keep
        rest, step = prompt[keep:], BATCH
        for start in range(0, len(rest), step):
            if cancelled():
                return False
            self._decode(rest[start : start + step])
        return True

    def _decode(self, tokens: list[int]) -> None:
        self._batch.set_batch(batch=tokens, n_past=len(self._cached), logits_all=False)
        self._ctx.decode(self._batch)
        self._cached += tokens

    def _greedy(self) -> int:
        logits = llama_cpp.llama_get_logits_ith(self._ctx.ctx, -1)
        return int(np.ctypeslib.as_array(logits, shape=(self._vocab,)).argmax())

    def close(self) -> None:
        """Free the context (the backend does, before it frees the model, holding its lock)."""
        self._ctx.close()
        self._batch.close()
