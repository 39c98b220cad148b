"""The comm with the JupyterLab extension, spoken by a test playing the frontend against a real ipykernel."""

import queue
import time

import pytest
from helpers import scripted_setup


def execute(client, code: str, timeout: float = 60) -> tuple[dict, list[dict]]:
    """Run `code`; return the execute reply and every iopub message of that execution."""
    msg_id = client.execute(code)
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        message = client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    return reply, messages


def comm_messages(messages: list[dict], comm_id: str) -> list[dict]:
    """The messages of our comm (the widgets have comms of their own)."""
    return [
        m["content"]["data"]
        for m in messages
        if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
    ]


def load(client) -> str:
    """`%load_ext oci_magic`; the id of the comm it offers the extension."""
    _, messages = execute(client, "%load_ext oci_magic")
    (opened,) = [m for m in messages if m["msg_type"] == "comm_open"]
    assert opened["content"]["target_name"] == "oci_magic"
    return opened["content"]["comm_id"]


def scripted(*codes: str) -> str:
    return scripted_setup([f"```python\n{code}\n```" for code in codes])


def test_with_the_extension_cells_arrive_through_the_comm_and_not_twice(kernel):
    comm_id = load(kernel)
    # the frontend answers hello; the kernel reads it once idle and replies with its state
    hello = kernel.session.msg("comm_msg", {"comm_id": comm_id, "data": {"type": "hello", "version": "test"}})
    kernel.shell_channel.send(hello)
    execute(kernel, scripted("x = 1 / 0", "x = 2"))
    reply, messages = execute(kernel, "%%oci --cells all\nset x")
    assert reply["content"]["status"] == "ok"
    assert not reply["content"].get("payload")  # no set_next_input: the extension inserts the cells
    sent = comm_messages(messages, comm_id)
    inserts = [m for m in sent if m["type"] == "insert_cells"]
    assert [[c["metadata"]["oci_magic"]["round"] for c in m["cells"]] for m in inserts] == [[1], [2]]
    assert inserts[0]["parent"] == reply["parent_header"]["msg_id"]  # the %%oci cell's own request
    assert inserts[0]["cells"][0]["source"].startswith("# %%oci round 1 of 3 · ✗ ZeroDivisionError")
    assert inserts[1]["cells"][0]["metadata"]["oci_magic"]["status"] == "passed"
    events = [m["event"] for m in sent if m["type"] == "run"]
    assert events[0] == "run_started" and events[-1] == "run_finished" and "executed" in events
    assert not any(m["type"] == "run" and "token" in m["event"] for m in sent)
    finished = [m for m in sent if m["type"] == "run"][-1]["run"]
    assert finished["status"] == "passed" and [r["status"] for r in finished["rounds"]] == [
        "failed",
        "passed",
    ]


def test_without_the_extension_the_cell_comes_by_set_next_input(kernel):
    comm_id = load(kernel)
    execute(kernel, scripted("y = 3"))
    reply, messages = execute(kernel, "%%oci\nset y")
    (payload,) = reply["content"]["payload"]
    assert payload["source"] == "set_next_input" and payload["text"] == "y = 3"
    assert not comm_messages(messages, comm_id)


def test_the_frontend_sets_settings_and_resets_the_conversation(kernel):
    comm_id = load(kernel)

    def tell(data):
        kernel.shell_channel.send(kernel.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))

    def replies() -> list[dict]:
        found = []
        with pytest.raises(queue.Empty):
            while True:
                message = kernel.get_iopub_msg(timeout=2)
                if message["msg_type"] == "comm_msg":
                    found.append(message["content"]["data"])
        return found

    tell({"type": "hello", "version": "test"})
    tell({"type": "settings", "max_rounds": 5, "temperature": 0.2})
    tell({"type": "settings", "max_rounds": 0})
    states = replies()
    assert states[0]["type"] == "state" and states[0]["settings"]["max_rounds"] == 3
    assert any(m["type"] == "error" and "max_rounds" in m["message"] for m in states)
    assert states[-1]["settings"] == {"model": "", "max_rounds": 5, "temperature": 0.2}
    _, messages = execute(kernel, "print(get_ipython().oci_magics.max_rounds)")
    assert [m["content"]["text"] for m in messages if m["msg_type"] == "stream"] == ["5\n"]


def test_undo_from_the_sidebar_restores_the_kernel_and_asks_to_remove_the_cells(kernel):
    comm_id = load(kernel)

    def tell(data):
        kernel.shell_channel.send(kernel.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))

    tell({"type": "hello", "version": "test"})
    execute(kernel, "items = [1, 2]\n" + scripted("items.append(3)\nextra = 1"))
    _, messages = execute(kernel, "%%oci\nappend three")
    run = [m for m in comm_messages(messages, comm_id) if m["type"] == "run"][-1]["run"]
    inserted = [m for m in comm_messages(messages, comm_id) if m["type"] == "insert_cells"]
    assert inserted[0]["cells"][0]["source"] == "items.append(3)\nextra = 1"
    state = [m for m in comm_messages(messages, comm_id) if m["type"] == "state"][-1]
    assert state["runs"][-1]["undo"] == "open" and "undo: holds" in state["undo_held"]
    tell({"type": "undo", "run": run["id"]})
    execute(kernel, "pass")  # the kernel reads the comm message once idle; this cell waits for that
    _, messages = execute(kernel, "print(items, 'extra' in globals())")
    assert [m["content"]["text"] for m in messages if m["msg_type"] == "stream"] == ["[1, 2] False\n"]


def test_undo_sends_the_cells_to_remove_and_a_notice(kernel):
    comm_id = load(kernel)
    kernel.shell_channel.send(
        kernel.session.msg("comm_msg", {"comm_id": comm_id, "data": {"type": "hello", "version": "t"}})
    )
    execute(kernel, scripted("x = 1", "x = 2") + "\nx = 0")
    _, messages = execute(kernel, "%%oci --cells all\nset x")
    run_id = [m for m in comm_messages(messages, comm_id) if m["type"] == "run"][-1]["run"]["id"]
    reply, messages = execute(kernel, "%oci undo")
    assert reply["content"]["status"] == "ok"
    (removal,) = [m for m in comm_messages(messages, comm_id) if m["type"] == "remove_cells"]
    assert removal == {"type": "remove_cells", "run": run_id, "cells": [{"round": 1, "source": "x = 1"}]}
    printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert "cells: JupyterLab removes the 1 cell the run inserted" in printed
    state = [m for m in comm_messages(messages, comm_id) if m["type"] == "state"][-1]
    assert state["runs"][-1]["undo"] == "undone"


def test_a_candidate_chosen_instead_replaces_the_runs_cell_and_undo_removes_it_as_it_reads(kernel):
    comm_id = load(kernel)
    kernel.shell_channel.send(
        kernel.session.msg("comm_msg", {"comm_id": comm_id, "data": {"type": "hello", "version": "t"}})
    )
    execute(kernel, scripted("total = 7", "total = 6", "total = 6") + "\nvalues = [1, 2, 3]")
    _, messages = execute(kernel, "%%oci --candidates 3\nput the sum of values in `total`")
    (inserted,) = [m for m in comm_messages(messages, comm_id) if m["type"] == "insert_cells"]
    assert inserted["cells"][0]["source"] == "total = 6"  # the agreeing pair's code, not the greedy reply
    # What the widget's "Use candidate 1 instead" does once the cell has finished, called directly.
    _, messages = execute(
        kernel,
        "from oci_magic.jupyter.alternatives import put_in_cell\n"
        "run = _oci\nprint(put_in_cell(get_ipython().oci_magics, run, run.rounds[0], 0))",
    )
    (replace,) = [m for m in comm_messages(messages, comm_id) if m["type"] == "replace_cell"]
    assert (replace["round"], replace["source"], replace["code"]) == (1, "total = 6", "total = 7")
    assert replace["metadata"]["oci_magic"]["candidate"] == 1
    printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert "JupyterLab puts candidate 1's code in the run's cell" in printed
    _, messages = execute(kernel, "%oci undo")
    (removal,) = [m for m in comm_messages(messages, comm_id) if m["type"] == "remove_cells"]
    assert removal["cells"] == [{"round": 1, "source": "total = 7"}]
