"""Reading the model's plan: a numbered list, one step per item; what is not a list is not a plan.

Small models decorate their lists (bold titles, "Step 1:", sub-bullets with details, a sentence before and
after); the steps are the numbered items, each with the lines indented under it. A reply that is code, or
prose without a list, has no steps: the request then runs as one step, and the user is told."""

from __future__ import annotations

import re

__all__ = ["read_plan", "fit_to_cap"]

# "1. Load", "2) Clean", "Step 3: Plot", "**4.** Conclude", "### 5. Print"
_ITEM = re.compile(r"^\s{0,3}(?:#+\s*)?(?:\*\*)?(?:step\s+)?(\d{1,2})\s*(?:[.):]|\*\*)+\s*(.*\S)?\s*$", re.I)
_FENCE = re.compile(r"^\s*```")


def _clean(text: str) -> str:
    return re.sub(r"\*\*|__|`{3,}", "", text).strip(" :-–—")


def read_plan(reply: str) -> list[str]:
    """The steps of a plan reply, in order; [] when it holds no numbered list (code blocks are skipped:
    a plan that shows code has its steps around it). Items numbered out of order end the list."""
    steps: list[list[str]] = []
    in_code = False
    for line in reply.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        match = _ITEM.match(line)
        if match and int(match.group(1)) == len(steps) + 1:
            steps.append([_clean(match.group(2) or "")])
        elif match and steps:
            break  # a second list (or a renumbering): the plan is the first one
        elif steps and line.strip() and (line[:1].isspace() or line.lstrip()[:1] in "-*•"):
            steps[-1].append(_clean(line.strip().lstrip("-*• ")))  # a detail of the step above
        elif steps and line.strip() and len(steps) >= 2:
            break  # prose after the list
    texts = ["\n".join(part for part in parts if part) for parts in steps]
    return [text for text in texts if text]


def fit_to_cap(steps: list[str], cap: int) -> tuple[list[str], str]:
    """At most `cap` steps: the steps past the cap join the last one, in order, so that nothing planned is
    dropped. Returns the steps and what was done ("" when nothing)."""
    if len(steps) <= cap:
        return steps, ""
    kept, extra = steps[: cap - 1], steps[cap - 1 :]
    title = "; then ".join(text.splitlines()[0] for text in extra)
    details = [line for text in extra for line in text.splitlines()[1:]]
    message = (
        f"the model planned {len(steps)} steps, more than plan_steps = {cap}: "
        f"steps {cap} to {len(steps)} run as step {cap}"
    )
    return [*kept, "\n".join([title, *details])], message
