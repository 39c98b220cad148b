"""Where a suggestion ends. Inside a line (text before the cursor on its line, or after it) a suggestion
completes that line. On a line of its own it writes the statement the cursor starts, with the lines that
belong to it (indented deeper, or inside brackets it opened), and ends before the next line at the cursor's
indentation or less, at a blank line, or at the line that already follows. It never repeats the text after
the cursor: a model filling a gap often writes the closing bracket that is already there."""

from __future__ import annotations

__all__ = ["cut"]


def cut(text: str, before: str, after: str) -> tuple[str, bool]:
    """The part of `text` (the model's middle so far) to suggest, and whether the suggestion is complete."""
    line_before = before.rsplit("\n", 1)[-1]
    line_after = after.split("\n", 1)[0].rstrip()
    if line_before.strip() or line_after.strip():
        line, ended = text.split("\n", 1)[0], "\n" in text
        trimmed = _without_repeat(line, line_after.strip())
        return trimmed, ended or trimmed != line
    indent = len(line_before)  # the cursor's column on its empty line
    following = next((line.strip() for line in after.split("\n") if line.strip()), None)
    lines = text.split("\n")
    kept: list[str] = []
    for at, line in enumerate(lines):
        finished = at < len(lines) - 1  # a line the model has ended with a newline
        if not line.strip():
            if finished:
                return "\n".join(kept), True
            kept.append(line)
            continue
        if kept and _depth("\n".join(kept)) <= 0 and len(line) - len(line.lstrip()) <= indent:
            return "\n".join(kept), True  # a new statement at the cursor's level (or a dedent out of it)
        if following is not None and line.strip() == following:
            return "\n".join(kept), True
        kept.append(line)
    return "\n".join(kept), False


def _depth(code: str) -> int:
    """Brackets opened and not closed in `code` (strings and comments are not told apart: a heuristic
    that errs towards a longer suggestion, which the user can leave)."""
    return sum(code.count(o) - code.count(c) for o, c in ("()", "[]", "{}"))


def _without_repeat(line: str, line_after: str) -> str:
    """`line` less its end where that end is the start of what follows the cursor on its line."""
    for k in range(len(line_after), 0, -1):
        if line.endswith(line_after[:k]):
            return line[:-k]
    return line
