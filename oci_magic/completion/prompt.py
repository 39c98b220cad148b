"""What the model sees for a suggestion: fill-in-the-middle around the cursor, with the cell's text before
and after it, the code cells above it (nearest first, as many as fit a token budget, then in notebook order)
and the notebook's variables as a comment, so that it writes for the data that is there."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Around", "fill_in"]

CELL_SEPARATOR = "\n\n"
AFTER_LINES = 20  # lines after the cursor the model sees: what follows nearby is what constrains the gap


@dataclass(frozen=True)
class Around:
    """The cursor in its notebook: the cell's text before and after it, the code cells above (nearest
    first), and the variables' summary ("" when not known)."""

    before: str
    after: str = ""
    above: Sequence[str] = field(default_factory=tuple)
    variables: str = ""


def fill_in(around: Around, count: Callable[[str], int], budget: int) -> tuple[str, str]:
    """(text before the gap, text after it) within `budget` tokens as `count` counts them. The cell's own
    text comes first; then the variables; then the cells above, nearest first, while they fit."""
    after = "\n".join(around.after.split("\n")[:AFTER_LINES])
    before = around.before
    used = count(before) + count(after)
    if used > budget:  # a very long cell: keep what is nearest the cursor
        before = before[-budget * 3 :]
        return before, after[: budget // 2]
    header = ""
    if around.variables:
        commented = "\n".join(f"# {line}" for line in around.variables.splitlines())
        header = f"# Variables in this notebook:\n{commented}{CELL_SEPARATOR}"
        if used + count(header) > budget:
            header = ""
        used += count(header)
    cells: list[str] = []
    for cell in around.above:
        cost = count(cell + CELL_SEPARATOR)
        if used + cost > budget:
            break
        cells.append(cell)
        used += cost
    shown = "".join(cell + CELL_SEPARATOR for cell in reversed(cells))
    return header + shown + before, after
