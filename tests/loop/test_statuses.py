"""Every status the package hands out is a member of an enum (equal to its text, so code that compares
with "passed" keeps working): a run's and a round's, a plan step's, a verdict, an undo state."""

from __future__ import annotations

import oci_magic
from oci_magic.jupyter.undo import undo_state
from oci_magic.loop.records import Status, Verdict
from oci_magic.plan.records import Step
from oci_magic.undo.checkpoint import UndoState

FENCE = "```"


def test_statuses_verdicts_and_undo_states_are_enum_members(shell, scripted):
    step = Step(index=1, text="load the data")
    assert step.status is Status.WAITING
    step.running = True
    assert step.status is Status.RUNNING and step.status == "running"

    scripted([f"{FENCE}python\nanswer = 6 * 7\n{FENCE}"])
    shell.run_line_magic("config", "OciMagics.undo = True")
    shell.run_cell('%%oci --check "assert answer == 42"\nsix times seven')
    run = oci_magic.last_run()
    assert type(run.status) is Status and type(run.rounds[0].status) is Status
    assert run.verdict is Verdict.VERIFIED and run.verdict == "verified"
    assert undo_state(shell.oci_magics, run) is UndoState.OPEN and undo_state(shell.oci_magics, run) == "open"
    shell.run_line_magic("oci", "keep")
    assert undo_state(shell.oci_magics, run) is UndoState.KEPT
    assert not UndoState.NONE and UndoState.NONE == ""  # "no way back" reads as nothing, as before
