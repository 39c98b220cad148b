"""Noticing a reply stuck in a loop: small models under greedy decoding often write the same line, or the same
few lines, over and over until max_tokens. Stopping there saves the rest of the token budget (half of the
bundled model's replies on HumanEval ran to the limit this way) and keeps the junk out of the conversation.
"""

from __future__ import annotations

import math

__all__ = ["repetition_start"]

MAX_BLOCK_LINES = 16  # longest repeated block looked for
MIN_REPEATED_LINES = 12  # a block must fill this many lines with its copies ...
MIN_COPIES = 4  # ... and appear at least this many times in a row


def repetition_start(text: str) -> int | None:
    """Where the repetition in `text` begins to be redundant, or None when its end is not looping.

    The end of `text` loops when its last complete lines are one block of 1-16 lines written over and over,
    MIN_COPIES times at least and MIN_REPEATED_LINES lines in all, and the block holds a real line (not only
    blank lines or braces). The index returned keeps the text up to the end of the first copy.
    """
    complete = text[: text.rfind("\n") + 1]
    # Split on "\n" only: str.splitlines also breaks at \x85, \u2028 and others that models do write.
    lines = [line + "\n" for line in complete.split("\n")[:-1]][-MAX_BLOCK_LINES * MIN_COPIES :]
    for size in range(1, MAX_BLOCK_LINES + 1):
        copies = max(MIN_COPIES, math.ceil(MIN_REPEATED_LINES / size))
        if len(lines) < size * copies:
            break
        block = lines[-size:]
        if not any(len(line.strip()) >= 3 for line in block):
            continue
        if all(lines[len(lines) - (k + 1) * size : len(lines) - k * size] == block for k in range(1, copies)):
            return len(complete) - (copies - 1) * len("".join(block))
    return None
