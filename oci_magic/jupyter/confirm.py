"""Asking before generated code runs, through input() (in a Jupyter kernel an input request the frontend
answers: JupyterLab, Notebook and VS Code show a text box). `ask_before = "risky"` asks only about code that
would change something outside the kernel, with the lines and why (`round.risks`); "always" (`--confirm`)
asks about every round."""

from __future__ import annotations

from collections.abc import Callable

from IPython.core.error import StdinNotImplementedError

from oci_magic.errors import OciError
from oci_magic.loop.records import Round

__all__ = ["approver", "CANNOT_ASK"]

NO_INPUT = (
    "--confirm asks before running code, and this frontend cannot answer questions (input()); the code "
    "was not run. Run it from JupyterLab, Notebook or VS Code, or drop --confirm "
    "(%config OciMagics.confirm = False)"
)
CANNOT_ASK = "cannot ask"  # the answer of a frontend without input()


def approver(mode: str, *, show_code: bool) -> Callable[[Round], bool]:
    """The loop's `approve`. For a round with risks: what it would do, then y runs it, n does not (the model
    is told what was refused and writes it again without that). `mode` "always" also asks about plain code
    (a runs the rest of the call's rounds without asking). `show_code` prints the code first (the widget
    shows it itself)."""
    run_all = False

    def approve(round_: Round) -> bool:
        nonlocal run_all
        if run_all and not round_.risks:
            return True
        if show_code:
            print(f"oci · the code of round {round_.index}:\n{round_.code}")
        if round_.risks:
            print(f"oci · round {round_.index}'s code would change things outside the notebook:")
            for risk in round_.risks:
                print(f"    {risk}")
            question = "oci · run it? [y]es / [n]o (the model then writes it without that): "
            answers = {"y": True, "yes": True, "n": False, "no": False, "": False}
        else:
            question = (
                f"oci · run the code of round {round_.index}? [y]es / [n]o / [a]ll rounds of this call: "
            )
            answers = {"y": True, "yes": True, "a": True, "all": True, "n": False, "no": False, "": False}
        while True:
            try:
                answer = input(question).strip().lower()
            except (StdinNotImplementedError, OSError):  # a frontend without input(), a closed stdin
                if not round_.risks:
                    raise OciError(NO_INPUT) from None
                round_.answer = CANNOT_ASK
                print(
                    "oci · not run: this frontend cannot answer questions (input()), and round "
                    f"{round_.index}'s code would change things outside the notebook. Run it from "
                    "JupyterLab, Notebook or VS Code to be asked, or set "
                    "%config OciMagics.ask_before = 'never' to run such code without asking"
                )
                return False
            except EOFError:
                return False
            if answer in answers:
                run_all = answer in ("a", "all")
                return answers[answer]
            question = "oci · please answer y (run it) or n (do not run it): "

    return approve
