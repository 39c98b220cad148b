"""The comm protocol is written twice, in protocol.py and labextension/src/tokens.ts: they must list the same
messages with the same fields, and the kernel must answer every message the extension sends."""

import re
from pathlib import Path

import pytest

from oci_magic.jupyter import protocol, sidebar

TOKENS = (Path(__file__).parents[2] / "labextension" / "src" / "tokens.ts").read_text()


def _union(name: str) -> dict[str, set[str]]:
    """The members of a TypeScript union of object types: {type: its other fields}."""
    body = re.search(rf"export type {name} =(.*?);\n\n|export type {name} =(.*?);\s*$", TOKENS, re.S)
    assert body is not None, name
    text = body.group(1) or body.group(2)
    text = re.sub(r"/\*\*.*?\*/", "", text, flags=re.S)
    members = {}
    for member in re.findall(r"\{(.*?)\}", text, re.S):
        kind = re.search(r"type: '(\w+)'", member).group(1)
        fields = set(re.findall(r"(\w+)\??:", member)) - {"type"}
        members[kind] = fields
    return members


def _interface(name: str) -> set[str]:
    body = re.search(rf"export interface {name} \{{(.*?)\n\}}", TOKENS, re.S).group(1)
    body = re.sub(r"/\*\*.*?\*/", "", body, flags=re.S)
    return set(re.findall(r"^\s+(\w+)\??:", body, re.M))


def test_kernel_messages_match_the_extensions_list():
    assert _union("KernelMessage") == {kind: set(fields) for kind, fields in protocol.KERNEL_MESSAGES.items()}


def test_frontend_messages_match_and_each_has_a_handler(shell):
    assert set(_union("FrontendMessage")) == set(protocol.FRONTEND_MESSAGES)
    sidebar.connect(shell.oci_magics)
    assert set(shell.oci_magics.bridge.handlers) == set(protocol.FRONTEND_MESSAGES)


def test_round_and_run_fields_match():
    assert _interface("IRoundInfo") == set(protocol.ROUND_FIELDS)
    assert _interface("IRunInfo") == set(protocol.RUN_FIELDS)
    from oci_magic.loop.records import Round, Run

    run = Run(request="r", rounds=[Round(index=1, code="x = 1")])
    info = protocol.run_info(run)
    assert tuple(info) == protocol.RUN_FIELDS and tuple(info["rounds"][0]) == protocol.ROUND_FIELDS


def test_the_sidebar_mark_says_what_verified_a_run():
    from oci_magic.executors.results import ExecutionResult
    from oci_magic.loop.records import PASSED, Round, Run

    def finished(settings=None, agreed=False):
        round_ = Round(index=1, code="x = 1", agreed=agreed, agreement="2 of 3 candidates agree" * agreed)
        round_.record_execution(ExecutionResult())
        return Run(request="r", settings=settings or {}, rounds=[round_], status=PASSED)

    assert protocol.run_info(finished())["mark"] == "○"
    assert protocol.run_info(finished({"check": "assert x"}))["mark"] == "✓"
    assert protocol.run_info(finished(agreed=True))["mark"] == "✓"
    assert "unverified" in protocol.run_info(finished())["summary"]
    assert protocol.run_info(Run(request="r"))["mark"] == ""  # still running


def test_plan_and_step_fields_match():
    assert _interface("IPlanInfo") == set(protocol.PLAN_FIELDS)
    assert _interface("IStepInfo") == set(protocol.STEP_FIELDS)
    assert _interface("IStepMark") == {"plan", "index", "count", "title", "attempt"}
    from oci_magic.loop.records import Run, StepMark
    from oci_magic.plan.records import Plan, Step

    plan = Plan(request="r", steps=[Step(1, "load"), Step(2, "plot")])
    plan.steps[0].runs.append(Run(request="load", step=StepMark(plan.id, 1, 2, "load")))
    info = protocol.plan_info(plan)
    assert tuple(info) == protocol.PLAN_FIELDS and tuple(info["steps"][0]) == protocol.STEP_FIELDS
    assert info["steps"][0]["runs"] == [plan.steps[0].runs[0].id] and info["steps"][1]["status"] == "waiting"
    assert protocol.run_info(plan.steps[0].runs[0])["step"] == {
        "plan": plan.id,
        "index": 1,
        "count": 2,
        "title": "load",
        "attempt": 1,
    }


def test_a_message_with_a_wrong_field_is_refused():
    assert protocol.kernel_message("error", message="x") == {"type": "error", "message": "x"}
    with pytest.raises(ValueError, match="has the fields"):
        protocol.kernel_message("error", text="x")
