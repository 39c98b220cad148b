"""Speculative decoding for greedy replies: tokens drafted from the conversation, verified in one batch.

A repair round rewrites mostly the code it already has, and a follow-up reuses names and lines from the
history: the model copies long runs of tokens that are already in its context. The drafter proposes the
tokens that followed the longest earlier match of the reply's last tokens (prompt lookup); llama.cpp then
evaluates the current token and the draft in one batch, with logits at every position, and the reply keeps
the drafted tokens the model would have chosen itself, plus the model's own token where they part: every
token is the greedy choice of its logits, and a pass of the weights can yield many.

One difference remains, and it is measured, not hidden: llama.cpp computes a batch of tokens with other
kernels than a single token, so the logits differ a little (the largest difference per token: median 0.4,
up to about one logit for Qwen2.5-Coder here). Where the model's two best tokens are closer than that, the
reply can take the other one. Replaying 20 real rounds, 3 replies differed, each first at a choice the model
led by 0.04-0.11 logits, in the prose after the code. (Plain decoding has the same kind of difference
between a prompt evaluated cold and one partly cached.)

On a CPU a batch is not free (each extra token costs about half a single-token pass here), so drafts are
made only from a long agreement with an earlier passage, and grow while they are accepted whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

MODES = ("auto", "ngram", "off")

# Measured on a 2-core CPU with Qwen2.5-Coder-1.5B: a batch of 2 tokens costs 1.9 single-token passes, of
# 16 tokens 8.7, of 32 tokens 15 (llama.cpp's kernels are cheapest per token at these sizes). Drafts pay only
# where they are nearly certain: after a long agreement with an earlier passage, longer for passages the
# model did not write, then longer drafts while whole drafts are accepted. Replayed on 300 real rounds of the
# notebook suite: fresh requests 1.00x, repair rounds 1.47x, against 1.59x for a drafter that knew the future.
MIN_MATCH = 12  # tokens of context that must agree with a passage the model wrote before it is copied
MIN_MATCH_ELSEWHERE = 24  # ... with a passage of a request or feedback (peeks, tracebacks)
MAX_MATCH = 64  # a longer agreement says no more about what comes next
CANDIDATES = 64  # earlier occurrences of the anchor weighed per draft (the latest first)
DRAFT, STREAK_DRAFT = 15, 31  # tokens per draft; the second after a draft accepted whole
# A batch with logits at each position keeps them twice (llama.cpp's output buffer and its compute buffer),
# vocabulary x 4 bytes a row: 2 MiB a row for Gemma 3's 262k tokens (+56 MiB for 32 rows, measured). Drafts
# are shortened so that these rows stay within this share of the weights' size (the memory a user plans
# for): Qwen2.5-Coder-1.5B keeps its 32-row batches, Gemma 3 270M gets 6.
LOGITS_SHARE = 0.05


def longest_batch(model_bytes: int, vocab_size: int) -> int:
    """The most positions a draft batch may ask logits for (at least 2: the token and one draft)."""
    return max(2, int(LOGITS_SHARE * model_bytes) // (2 * 4 * vocab_size))


@dataclass
class SpeculationStats:
    """What one reply cost: prompt tokens evaluated, tokens drafted and accepted."""

    drafted: int = 0
    accepted: int = 0
    prompt_evaluated: int = 0  # prompt tokens not found in the KV cache


class NgramDrafter:
    """Proposes the tokens that followed the earlier passage agreeing longest with the context's end.

    Candidates are found through an index of token pairs (the anchor); each is scored by how many tokens
    before it agree with the context, so a line of code matches its copy in the previous round's code
    (same line before it) over a quote of the same line in a traceback."""

    def __init__(
        self,
        tokens: list[int],
        *,
        boundary: Callable[[int], bool] = lambda token: False,
        replies: list[tuple[int, int]] = (),
    ) -> None:
        """`boundary(token)`: a token no draft copies (a chat format's control tokens: what follows one is
        another message, not what the reply will say). `replies`: the spans of `tokens` the model wrote
        (earlier replies); passages there, and in the reply being written, are copied after MIN_MATCH
        tokens of agreement, others (requests, tracebacks, file peeks) after MIN_MATCH_ELSEWHERE."""
        self.boundary = boundary
        self.tokens: list[int] = []
        self.match = 0  # how many tokens of context agreed with the passage of the last proposal
        self._anchors: dict[tuple[int, int], list[int]] = {}  # pair -> positions right after it
        self.extend(tokens)
        self._written = [False] * len(tokens)  # per prompt position: inside one of the model's replies
        for start, end in replies:
            self._written[max(0, start) : max(0, end)] = [True] * (min(end, len(tokens)) - max(0, start))

    def _needed(self, position: int) -> int:
        """Tokens of agreement needed to copy the passage that starts at `position`."""
        written = position >= len(self._written) or self._written[position]
        return MIN_MATCH if written else MIN_MATCH_ELSEWHERE

    def extend(self, tokens: list[int]) -> None:
        for token in tokens:
            self.tokens.append(token)
            end = len(self.tokens) - 1  # the pair ending before `end` is now followed by a known token
            if end >= 2:
                pair = (self.tokens[end - 2], self.tokens[end - 1])
                self._anchors.setdefault(pair, []).append(end)

    def propose(self, limit: int) -> list[int]:
        """Up to `limit` tokens that may come next, or none when no earlier passage matches well enough."""
        tokens, n = self.tokens, len(self.tokens)
        if limit <= 0 or n < MIN_MATCH:
            return []
        self.match = 0
        positions = self._anchors.get((tokens[-2], tokens[-1]))
        if not positions:
            return []
        best, best_length = -1, 0
        for start in reversed(positions[-CANDIDATES:]):
            length = 2  # the anchor itself
            while length < MAX_MATCH and start - length - 1 >= 0:
                if tokens[start - length - 1] != tokens[n - length - 1]:
                    break
                length += 1
            if length > best_length and length >= self._needed(start):
                best, best_length = start, length
        if best < 0:
            return []
        self.match = best_length
        draft = tokens[best : best + limit]
        return next((draft[:at] for at, token in enumerate(draft) if self.boundary(token)), draft)


def greedy_tokens(
    llm, prompt: list[int], stats: SpeculationStats, *, is_end, is_control, replies=()
) -> Iterator[int | None]:
    """The greedy reply's tokens to `prompt` with drafts verified in batches, then None at an
    end-of-generation token. `llm` is a llama_cpp.Llama; the prefix of the prompt already in its KV cache
    is reused, as its own `generate` does. `stats` is filled as the reply goes; `is_end(token)` ends the
    reply, `is_control(token)` ends a draft; `replies` are the spans of the prompt the model wrote."""
    import llama_cpp
    import numpy as np

    ctx, vocab_size, n_ctx = llm._ctx.ctx, llm.n_vocab(), llm.n_ctx()
    rows = min(llm.n_batch, longest_batch(llama_cpp.llama_model_size(llm.model), vocab_size))

    def logits(row: int):
        return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, row), shape=(vocab_size,))

    def choice(row: int) -> int:
        return int(logits(row).argmax())  # the first of equal maxima, as llama.cpp's greedy sampler picks

    def decode(tokens: list[int]) -> None:
        n_past = llm.n_tokens
        llm._batch.set_batch(batch=tokens, n_past=n_past, logits_all=True)
        llm._ctx.decode(llm._batch)
        llm.input_ids[n_past : n_past + len(tokens)] = tokens
        llm.n_tokens = n_past + len(tokens)

    def rewind(n_tokens: int) -> None:
        llm.n_tokens = n_tokens
        llm._ctx.kv_cache_seq_rm(-1, n_tokens, -1)

    stats.prompt_evaluated = evaluate_prompt(llm, prompt)
    token = choice(-1)
    drafter = NgramDrafter(prompt, boundary=is_control, replies=replies)
    streak = False  # the last draft was accepted whole
    while True:
        if is_end(token):
            yield None
            return
        yield token
        drafter.extend([token])
        room = n_ctx - llm.n_tokens - 1
        if room < 0:
            return
        draft = drafter.propose(min(STREAK_DRAFT if streak else DRAFT, room, rows - 1))
        n_past, batch = llm.n_tokens, [token, *draft]
        decode(batch)
        accepted, token = 0, choice(0)
        while accepted < len(draft) and token == draft[accepted]:
            accepted += 1
            token = choice(accepted)
        if draft and not accepted:
            # Nothing kept: the token is evaluated again alone, so that the cache holds what plain decoding
            # would (a batch's values differ in their last digits) and the reply goes on as it would have.
            rewind(n_past)
            decode([batch[0]])
            token = choice(0)
        else:
            rewind(n_past + 1 + accepted)  # the rejected drafts leave the cache
        if draft:
            stats.drafted += len(draft)
            stats.accepted += accepted
        streak = bool(draft) and accepted == len(draft)
        for kept in draft[:accepted]:
            if is_end(kept):
                yield None
                return
            yield kept
            drafter.extend([kept])


def evaluate_prompt(llm, prompt: list[int]) -> int:
    """Evaluate `prompt`, reusing the longest prefix already in the KV cache; at least its last token is
    evaluated so that its logits are fresh. Returns how many tokens were evaluated."""
    import numpy as np

    cached = llm.input_ids[: min(llm.n_tokens, len(prompt) - 1)]
    differs = np.flatnonzero(cached != np.asarray(prompt[: len(cached)], dtype=cached.dtype))
    keep = int(differs[0]) if len(differs) else len(cached)
    llm.n_tokens = keep
    llm._ctx.kv_cache_seq_rm(-1, keep, -1)
    llm.eval(prompt[keep:])
    return len(prompt) - keep
