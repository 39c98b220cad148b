"""The kernel's end of the comm with the JupyterLab extension (comm target `oci_magic`).

At `%load_ext` the kernel opens the comm; the extension, when installed, answers `hello`, and from then on
the kernel asks it to insert cells right below the `%%oci` cell (instead of `set_next_input`, which keeps
only one cell and lands after the cell finishes) and reports runs and rounds for the sidebar. Without the
extension nobody answers and everything goes on as before. The messages themselves are in `protocol.py`.

Messages from the frontend reach a busy kernel only when the running cell has finished, so the `hello`
that follows `%load_ext` is read before the next cell runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oci_magic.jupyter.cells import NewCell, cells_for
from oci_magic.jupyter.protocol import TARGET, cells_payload, kernel_message, run_info
from oci_magic.loop.events import LoopEvent
from oci_magic.views import View

__all__ = ["Bridge", "BridgeView"]


class Bridge:
    """One per kernel. `connected` once the extension has said hello."""

    def __init__(self) -> None:
        self.comm: Any = None
        self.connected = False
        self.frontend: dict[str, Any] = {}
        self.handlers: dict[str, Callable[[dict], None]] = {}
        self.suggestions: Any = None  # the kernel's suggestion service (jupyter/suggestions.py), once made

    def open(self) -> None:
        """Open the comm (a no-op outside a Jupyter kernel); the extension's hello arrives later."""
        if self.comm is not None:
            return
        import comm

        from oci_magic.jupyter.settings import FRONTEND_SETTINGS
        from oci_magic.versions import __version__

        opening = kernel_message("open", version=__version__, settings=FRONTEND_SETTINGS)
        self.comm = comm.create_comm(target_name=TARGET, data=opening)
        self.comm.on_msg(self._received)
        self.comm.on_close(self._closed)

    def _closed(self, message: dict) -> None:
        self.comm, self.connected = None, False

    def _received(self, message: dict) -> None:
        data = message.get("content", {}).get("data", {}) or {}
        kind = data.get("type")
        if kind == "hello":
            self.connected = True
            self.frontend = {k: v for k, v in data.items() if k != "type"}
        handler = self.handlers.get(kind)
        if handler is not None:
            handler(data)

    def send(self, data: dict[str, Any]) -> None:
        if self.comm is not None and self.connected:
            self.comm.send(data)

    def insert_cells(self, parent_msg_id: str | None, cells: list[NewCell]) -> None:
        """Ask the extension to put `cells` below the cell whose execution is `parent_msg_id`."""
        self.send(kernel_message("insert_cells", parent=parent_msg_id, cells=cells_payload(cells)))


class BridgeView(View):
    """Reports a run to the extension: its start, each round's code and outcome, how it ended (never the
    tokens: the sidebar shows rounds, the widget the stream), and asks for its cells to be inserted, live as
    rounds finish with `--cells all`, at the end with `final`."""

    def __init__(self, bridge: Bridge, parent_msg_id: str | None, cells: str) -> None:
        self.bridge, self.parent, self.cells = bridge, parent_msg_id, cells
        self._inserted: set[int] = set()  # rounds whose cell was sent

    def __call__(self, event: LoopEvent) -> None:
        if event.kind not in ("run_started", "round_started", "code", "asking", "executed", "run_finished"):
            return
        self.bridge.send(kernel_message("run", event=event.kind, parent=self.parent, run=run_info(event.run)))
        if event.kind == "executed" and self.cells == "all" or event.kind == "run_finished":
            new = [
                c
                for c in cells_for(event.run, self.cells)
                if c.metadata["oci_magic"]["round"] not in self._inserted
            ]
            if new:
                self._inserted.update(c.metadata["oci_magic"]["round"] for c in new)
                self.bridge.insert_cells(self.parent, new)
