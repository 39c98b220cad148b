"""A real ipykernel driven message by message: what a frontend sees (streams, displays, errors, input
requests), with answers to input() and an interrupt or restart at a chosen moment."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from pathlib import Path

import suite_config
from jupyter_client.manager import KernelManager

TESTS = Path(__file__).parent


@dataclass
class Reply:
    status: str  # the execute reply's: ok, error, aborted
    stdout: str = ""
    stderr: str = ""
    error: str = ""  # ename: evalue of an error output
    displays: list[dict] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)  # input() questions asked
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.stdout + self.stderr + self.error


def _pending(channel) -> list[dict]:
    """The messages waiting on a channel, without waiting for more."""
    messages = []
    while True:
        try:
            messages.append(channel.get_msg(timeout=0))
        except queue.Empty:
            return messages


class LiveKernel:
    def __init__(self, *, env: dict | None = None) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(**({"env": env} if env is not None else {}))
        self.client = self.manager.client()
        self.client.start_channels()
        self._ready()

    def _ready(self) -> None:
        self.client.wait_for_ready(timeout=60)
        # The tests' helpers importable, and the suite's llama.cpp configuration applied ($OCI_TEST_LLAMA).
        self.run(f"import sys; sys.path.insert(0, {str(TESTS)!r}); import suite_config; suite_config.apply()")

    def restart(self) -> None:
        """Restart the kernel now, whatever it is doing (its state is lost, as in JupyterLab)."""
        self.manager.restart_kernel(now=True)
        self._ready()

    def load_oci(self, model=None, then: str = "") -> None:
        """%load_ext oci_magic with the text view (printed, easy to read back), `model`, then `then`."""
        lines = ["%load_ext oci_magic", "%config OciMagics.view = 'text'", *suite_config.config_lines()]
        if model is not None:
            lines.append(f"%config OciMagics.model = {str(model)!r}")
        reply = self.run("\n".join([*lines, then]))
        assert reply.status == "ok", reply.text

    def run(
        self,
        code: str,
        *,
        answers: list[str] | None = None,
        interrupt_when: str | None = None,
        interrupt_delay: float = 0.0,
        timeout: float = 180,
    ) -> Reply:
        """Execute `code`; answer input() with `answers` (None: the frontend cannot answer, as nbclient);
        interrupt the kernel `interrupt_delay` s after `interrupt_when` first appears in its output."""
        client, started = self.client, time.monotonic()
        msg_id = client.execute(code, allow_stdin=answers is not None)
        reply, answers = Reply(status=""), list(answers or [])
        interrupt_at, idle = None, False
        while not idle or not reply.status:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"no answer in {timeout} s; output so far: {reply.text[-2000:]}")
            if interrupt_at is not None and time.monotonic() >= interrupt_at:
                self.manager.interrupt_kernel()
                interrupt_at = float("inf")
            messages = [
                message
                for channel in (client.stdin_channel, client.iopub_channel, client.shell_channel)
                for message in _pending(channel)
            ]
            if not messages:
                time.sleep(0.005)
            for message in messages:
                if message["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = message["msg_type"], message["content"]
                if kind == "input_request":
                    reply.prompts.append(content["prompt"])
                    client.input(answers.pop(0))
                elif kind == "stream":
                    if content["name"] == "stdout":
                        reply.stdout += content["text"]
                    else:
                        reply.stderr += content["text"]
                elif kind == "error":
                    reply.error = f"{content['ename']}: {content['evalue']}"
                elif kind in ("display_data", "execute_result", "update_display_data"):
                    reply.displays.append(content["data"])
                elif kind == "status" and content["execution_state"] == "idle":
                    idle = True
                elif kind == "execute_reply":
                    reply.status = content["status"]
                if interrupt_when is not None and interrupt_at is None and interrupt_when in reply.text:
                    interrupt_at = time.monotonic() + interrupt_delay
        reply.seconds = time.monotonic() - started
        return reply

    def value(self, expression: str):
        """The value of a Python literal expression evaluated in the kernel."""
        import ast

        reply = self.run(f"print(repr({expression}))")
        assert reply.status == "ok", reply.text
        return ast.literal_eval(reply.stdout.strip())

    @property
    def alive(self) -> bool:
        return self.manager.is_alive()

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
