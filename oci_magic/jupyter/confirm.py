"""`--confirm`: ask before each piece of generated code runs, through input() (in a Jupyter kernel an input
request the frontend answers: JupyterLab, Notebook and VS Code show a text box)."""

from __future__ import annotations

from collections.abc import Callable

from IPython.core.error import StdinNotImplementedError

from oci_magic.errors import OciError
from oci_magic.loop.records import Round

__all__ = ["approver"]

NO_INPUT = (
    "--confirm asks before running code, and this frontend cannot answer questions (input()); the code "
    "was not run. Run it from JupyterLab, Notebook or VS Code, or drop --confirm "
    "(%config OciMagics.confirm = False)"
)


def approver(*, show_code: bool) -> Callable[[Round], bool]:
    """The loop's `approve`: y runs this round's code, n stops the run, a runs the rest of the call's rounds
    without asking. `show_code` prints the code first (the widget shows it itself)."""
    run_all = False

    def approve(round_: Round) -> bool:
        nonlocal run_all
        if run_all:
            return True
        if show_code:
            print(f"oci · the code of round {round_.index}:\n{round_.code}")
        question = f"oci · run the code of round {round_.index}? [y]es / [n]o / [a]ll rounds of this call: "
        while True:
            try:
                answer = input(question).strip().lower()
            except StdinNotImplementedError:  # a frontend without input()
                raise OciError(NO_INPUT) from None
            except EOFError:
                return False
            if answer in ("y", "yes", "a", "all"):
                run_all = answer in ("a", "all")
                return True
            if answer in ("n", "no", ""):
                return False
            question = "oci · please answer y (run it), n (do not run it) or a (run every round): "

    return approve
