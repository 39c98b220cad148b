"""What the model is asked in a plan: the plan itself, then each step as a request of its own in the same
conversation (the earlier steps' code and results are the turns before it)."""

from __future__ import annotations

from oci_magic.loop.prompts import earlier_failure, request_message
from oci_magic.loop.records import Run

__all__ = ["plan_message", "step_message", "step_again_message"]


def plan_message(request: str, context: str, files: str, cap: int) -> str:
    """The request, with the notebook's variables and the files it names, asking for a plan, not code."""
    ask = (
        f"Do not write code yet. First write a short plan for this request: a numbered list of at most {cap} "
        "steps, one line each. Each step is one notebook cell of work (for example: load a file, clean it, "
        "compute a result, plot it, print the conclusion) and names the variables it leaves for the next "
        "steps. Write only the list."
    )
    return request_message(f"{request.strip()}\n\n{ask}", context, files)


def step_message(index: int, count: int, text: str, context: str = "") -> str:
    """Step `index` of the plan as a request: its code alone, on what the earlier steps left."""
    ask = (
        f"Step {index} of {count} of the plan: {text.strip()}\n\n"
        "Write the code for this step only, in one ```python block. The variables of the earlier steps are "
        "defined in the notebook: use them, do not redo earlier steps."
    )
    return request_message(ask, context)


def step_again_message(
    index: int, count: int, text: str, failed: Run | None, context: str, rerun: bool
) -> str:
    """Step `index` once more, after it stopped the plan: its last code runs again as it was (`rerun`:
    `%oci plan continue`, the user fixed something), or the model writes it afresh (`%oci plan retry`),
    told what went wrong before."""
    if rerun:
        ask = (
            f"Step {index} of {count} of the plan, again: {text.strip()}\n\n"
            "The notebook has changed since it stopped; its last code runs again as it was."
        )
        return request_message(ask, context)
    wrong = ""
    if failed is not None:
        went = [earlier_failure(r.code, r.error, r.shortfalls) for r in failed.rounds if r.code is not None]
        wrong = "\n".join(f"- {line}" for line in went[-2:])
    ask = (
        f"Step {index} of {count} of the plan, again: {text.strip()}\n\n"
        + (f"The earlier attempt went wrong:\n{wrong}\n\n" if wrong else "")
        + "Write the code for this step afresh, in one ```python block, using the variables the notebook has."
    )
    return request_message(ask, context)
