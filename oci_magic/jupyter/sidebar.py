"""What the JupyterLab sidebar asks the kernel over the comm, and the state it is sent: the model, the
settings it edits, this kernel's runs."""

from __future__ import annotations

from typing import Any

from traitlets import TraitError

from oci_magic.errors import OciError
from oci_magic.jupyter import undo
from oci_magic.jupyter.manager import OciMagics
from oci_magic.jupyter.protocol import kernel_message, plan_info, run_info
from oci_magic.jupyter.settings import FRONTEND_SETTINGS
from oci_magic.jupyter.suggestions import Suggestions, suggestions_line
from oci_magic.models import engine

__all__ = ["connect", "state_message", "tell_the_sidebar"]


def connect(oci: OciMagics) -> None:
    """Open the comm to the JupyterLab extension and answer what it asks (it asks when the kernel is idle: a
    busy kernel reads no comm messages)."""
    bridge = oci.bridge

    def reset(data: dict[str, Any]) -> None:
        oci.conversation.reset()
        tell_the_sidebar(oci)

    def undo_or_keep(data: dict[str, Any]) -> None:
        """The Undo and Keep buttons of a run in the sidebar: `%oci undo N` / `%oci keep N`."""
        try:
            text = undo.take_back(oci, data["type"], data.get("run"))
        except OciError as exc:
            text = f"oci · {exc}"
        bridge.send(kernel_message("notice", message=text))
        tell_the_sidebar(oci)

    bridge.handlers.update(
        {
            "hello": lambda data: tell_the_sidebar(oci),
            "state": lambda data: tell_the_sidebar(oci),
            "settings": lambda data: _settings_from_frontend(oci, data),
            "reset": reset,
            "undo": undo_or_keep,
            "keep": undo_or_keep,
            "complete": _suggestion_service(oci).request,
        }
    )
    bridge.open()


def _suggestion_service(oci: OciMagics) -> Suggestions:
    """One per kernel: reloading the extension keeps it (and its pre_run_cell hook)."""
    if oci.bridge.suggestions is None:
        oci.bridge.suggestions = Suggestions(oci)
    return oci.bridge.suggestions


def state_message(oci: OciMagics) -> dict[str, Any]:
    """What the sidebar shows: the model, the settings it edits, this kernel's runs."""
    return kernel_message(
        "state",
        model=engine.describe(oci, oci.engine_settings()),
        settings={name: getattr(oci, name) for name in FRONTEND_SETTINGS.values()},
        runs=[run_info(run, undo.undo_state(oci, run)) for run in oci.runs],
        conversation_turns=oci.conversation.turns,
        undo_held=undo.held_line(oci),
        suggestions=suggestions_line(oci, oci.bridge.suggestions),
        plans=[plan_info(plan) for plan in oci.plans],
    )


def tell_the_sidebar(oci: OciMagics) -> None:
    """Send the sidebar the kernel's state as it is now (nothing, without the extension)."""
    if oci.bridge.connected:
        oci.bridge.send(state_message(oci))


def _settings_from_frontend(oci: OciMagics, data: dict[str, Any]) -> None:
    for name in FRONTEND_SETTINGS.values():
        if name in data and data[name] != getattr(oci, name):
            try:
                setattr(oci, name, data[name])
            except TraitError as exc:
                oci.bridge.send(kernel_message("error", message=f"{name}: {exc}"))
    tell_the_sidebar(oci)
