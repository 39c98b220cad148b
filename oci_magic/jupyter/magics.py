"""`%%oci` and `%oci`: the magic itself is a thin shell. It parses a call's flags and hands the request, with
the shell's `OciMagics` (`manager.py`: the settings and the kernel's state), to `answer.py` (one run, from
request to cells), and `%oci NAME` to `subcommands.py`."""

from __future__ import annotations

import argparse
import shlex

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from oci_magic.errors import OciError
from oci_magic.jupyter import answer, manager
from oci_magic.jupyter.cells import CELL_MODES
from oci_magic.jupyter.subcommands import SUBCOMMANDS
from oci_magic.loop.records import Run
from oci_magic.plan.records import Plan

__all__ = ["OciCommands"]

_KIND_NAMES = {int: "a whole number", float: "a number"}


def _at_least(kind, minimum):
    """An argparse type: a number of `kind`, no smaller than `minimum`."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {_KIND_NAMES[kind]}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {text}")
        return value

    return parse


@magics_class
class OciCommands(Magics):
    """OpenCodeInterpreter in the notebook: `%%oci` and `%oci NAME`. The settings and the state are the
    shell's `OciMagics` (`self.manager`; settings: `%config OciMagics.<name> = value`)."""

    @property
    def manager(self) -> manager.OciMagics:
        """The kernel's OciMagics: its settings and state."""
        return manager.of(self.shell)

    # -- the magic -------------------------------------------------------------------------------------
    @magic_arguments(name="%oci")  # the flags belong to the cell magic: usage reads %%oci
    @argument("--rounds", type=_at_least(int, 1), metavar="N", help="most refinement rounds (default 3)")
    @argument(
        "--candidates",
        type=_at_least(int, 1),
        metavar="N",
        help="candidates a round writes and tries on a copy of your data; the one most agree with runs",
    )
    @argument("--model", metavar="NAME_OR_PATH", help="GGUF file to use for this call")
    @argument("--temperature", type=_at_least(float, 0), metavar="T", help="0 is greedy (default)")
    @argument("--max-tokens", type=_at_least(int, 1), metavar="N", help="most tokens per reply")
    @argument("--timeout", type=_at_least(float, 0), metavar="S", help="limit for one execution (0: none)")
    @argument("--no-run", action="store_true", help="generate and insert the code, never run it")
    @argument("--confirm", action="store_true", help="show each piece of code and ask before running it")
    @argument(
        "--ask-before",
        choices=("risky", "always", "never"),
        help="ask before code runs: risky (default: code that deletes, overwrites, sends or runs commands), "
        "always, never",
    )
    @argument("--new", action="store_true", help="start a fresh conversation")
    @argument(
        "--check",
        metavar="CODE",
        help="a line of Python run after the code, e.g. "
        "'assert f(10) == 55'; its failure is fed back like an error",
    )
    @argument("--no-context", action="store_true", help="do not tell the model the notebook's variables")
    @argument("--cells", choices=CELL_MODES, help="cells to insert: final (default), all rounds, or none")
    @argument(
        "--plan",
        action="store_true",
        help="plan first: the model writes numbered steps, each step runs and is repaired on its own, "
        "and lands as its own cells",
    )
    @line_cell_magic
    def oci(self, line: str, cell: str | None = None):
        """Write, run and repair Python with a local code model.

        %%oci [flags]
        <what you want, in plain words>

            The model writes Python, it runs in this kernel, errors go back to the model and the
            code is repaired, up to --rounds times. The final code is inserted as a cell below.
            Follow-up %%oci cells continue the conversation. The last run is `_oci`.
            --plan: the model first writes a plan of numbered steps; each step is its own
            run, with its own rounds and cells; %oci plan continue|retry goes on after a
            step that failed.

        %oci NAME: status | history | fix | undo | keep | plan | save | pull | models | reset | version |
        model;
        %oci help describes each.
        """
        if cell is None:
            return self._subcommand(line)
        try:
            # shlex (POSIX rules) so that --check "assert f(1) == 2" loses its quotes.
            args = self.parse_flags(shlex.split(line))
        except ValueError as exc:  # unbalanced quotes
            raise UsageError(f"cannot read the flags: {exc}") from None
        except UsageError as exc:
            raise UsageError(f"{exc}. See %oci help for the flags.") from None
        request = cell.strip()
        if not request:
            raise UsageError("write your request on the lines below %%oci, e.g.\n%%oci\nplot y = x**2")
        self.answer(request, args)

    def usage(self) -> str:
        """`%oci help`'s first part: what the magic does and its flags."""
        return self.oci.__doc__

    def parse_flags(self, words: list[str]) -> argparse.Namespace:
        """A call's flags, as `%%oci` takes them (`%oci fix` and `%oci plan continue` take them too)."""
        return self.oci.parser.parse_args(words)

    def answer(self, request: str, args: argparse.Namespace) -> Run | Plan:
        """Answer `request` with this call's flags (`%%oci` and `%oci fix`)."""
        try:
            return answer.answer(request, args, self.manager)
        except OciError as exc:  # a model that cannot be chosen or loaded, a run already in progress
            raise UsageError(str(exc)) from None

    def _subcommand(self, line: str) -> None:
        words = shlex.split(line) or ["help"]
        name, rest = words[0].lower(), words[1:]
        if name not in SUBCOMMANDS:
            raise UsageError(
                f"unknown subcommand {words[0]!r}; use one of: {', '.join(SUBCOMMANDS)}. "
                f"To ask for code, put the request in a cell under %%oci."
            )
        SUBCOMMANDS[name].handler(self, rest)
