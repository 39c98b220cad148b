"""Suggestions over the comm, with a test playing JupyterLab against a real ipykernel and the real 0.5B:
the streamed `suggestion` messages, a cell that cancels the one being written, what a busy kernel does with a
request (nothing until its cell ends), and why there is none (model loading, suggestions off)."""

import queue
import time

import pytest
from test_bridge import execute, load

pytestmark = pytest.mark.slow

BEFORE = "import pandas as pd\nsales = pd.DataFrame({'units': [3, 4]})\ntotal = sales['units']."


def tell(client, comm_id: str, data: dict) -> None:
    client.shell_channel.send(client.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))


def suggestions(client, until_done: str | None = None, wait: float = 120) -> list[dict]:
    """The `suggestion` messages read from iopub, until request `until_done` ends (or nothing comes)."""
    found, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            message = client.get_iopub_msg(timeout=5 if until_done is None else 1)
        except queue.Empty:
            if until_done is None:
                return found
            continue
        data = message["content"].get("data") or {}
        if message["msg_type"] == "comm_msg" and data.get("type") == "suggestion":
            found.append(data)
            if data["id"] == until_done and data["done"]:
                return found
    return found


def printed(client, code: str) -> str:
    _, messages = execute(client, code)
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")


def connect(client, *lines: str) -> str:
    comm_id = load(client)
    tell(client, comm_id, {"type": "hello", "version": "test"})
    reply, _ = execute(client, "\n".join(lines), timeout=300)
    assert reply["content"]["status"] == "ok"
    return comm_id


def test_a_suggestion_streams_over_the_comm_and_a_cell_cancels_one_being_written(kernel):
    comm_id = connect(kernel, "%oci model qwen-coder-0.5b")
    tell(
        kernel,
        comm_id,
        {"type": "complete", "id": "a", "before": BEFORE, "after": "", "above": [], "max_tokens": 0},
    )
    stream = suggestions(kernel, until_done="a")
    assert stream and stream[-1]["done"] and stream[-1]["error"] == ""
    assert all(m["id"] == "a" for m in stream) and "\n" not in stream[-1]["text"]
    assert all(
        later["text"].startswith(earlier["text"]) for earlier, later in zip(stream, stream[1:], strict=False)
    )
    # A long suggestion asked, then a cell at once: the cell's start stops it; it never says done.
    tell(kernel, comm_id, {"type": "complete", "id": "b", "before": "def report(table):\n    ", "after": ""})
    execute(kernel, "x = 1")
    later = [m for m in suggestions(kernel) if m["id"] == "b"]
    assert not any(m["done"] for m in later)


def test_a_busy_kernel_answers_once_its_cell_has_ended(kernel):
    comm_id = connect(kernel, "%oci model qwen-coder-0.5b")
    started = kernel.execute("import time; time.sleep(4)")
    time.sleep(1)
    tell(kernel, comm_id, {"type": "complete", "id": "c", "before": BEFORE, "after": "", "above": []})
    ended_at = None
    stream = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (stream and stream[-1]["done"]):
        message = kernel.get_iopub_msg(timeout=60)
        if message["parent_header"].get("msg_id") == started and message["msg_type"] == "status":
            if message["content"]["execution_state"] == "idle":
                ended_at = time.monotonic()
        data = message["content"].get("data") or {}
        if message["msg_type"] == "comm_msg" and data.get("type") == "suggestion":
            assert ended_at is not None, "a suggestion came while the cell was running"
            stream.append(data)
    assert stream and stream[-1]["done"]


def test_why_there_is_no_suggestion(kernel):
    comm_id = connect(kernel, "%config OciMagics.model = 'qwen-coder-0.5b'")
    tell(kernel, comm_id, {"type": "complete", "id": "d", "before": "x = ", "after": "", "above": []})
    (first,) = suggestions(kernel, until_done="d")
    assert first["error"] == "the model is loading" and first["done"]
    execute(kernel, "from oci_magic.models import warm; warm.current().done.wait(300)", timeout=300)
    execute(kernel, "%config OciMagics.suggestions = False")
    tell(kernel, comm_id, {"type": "complete", "id": "e", "before": "x = ", "after": "", "above": []})
    (off,) = suggestions(kernel, until_done="e")
    assert off == {"type": "suggestion", "id": "e", "text": "", "done": True, "error": ""}


def test_the_sidebar_line_says_whether_suggestions_are_on_and_what_they_cost(kernel):
    comm_id = connect(kernel, "%oci model qwen-coder-0.5b")
    line = "from oci_magic.jupyter.suggestions import suggestions_line as _line\n"
    shown = "print(_line(get_ipython().oci_magics, get_ipython().oci_magics.bridge.suggestions))"
    assert "Suggestions: on as you type · Qwen2.5 Coder 0.5B" in printed(kernel, line + shown)
    tell(kernel, comm_id, {"type": "complete", "id": "f", "before": BEFORE, "after": "", "above": []})
    suggestions(kernel, until_done="f")
    text = printed(kernel, shown)
    assert "their context holds 2048 tokens (~24 MiB of KV cache)" in text and "last: first text in" in text
    execute(kernel, "%config OciMagics.suggestions = False")
    _, messages = execute(kernel, shown)
    assert (
        "Suggestions: off in this notebook"
        in [m["content"]["text"] for m in messages if m["msg_type"] == "stream"][0]
    )
