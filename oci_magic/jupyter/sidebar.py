"""What the JupyterLab sidebar asks the kernel over the comm, and the state it is sent: the model, the
settings it edits, this kernel's runs."""

from __future__ import annotations

from typing import Any

from traitlets import TraitError

from oci_magic.errors import OciError
from oci_magic.jupyter import session, undo
from oci_magic.jupyter.protocol import kernel_message, plan_info, run_info
from oci_magic.jupyter.settings import FRONTEND_SETTINGS, OciSettings
from oci_magic.models import engine

__all__ = ["connect", "state_message"]


def connect(settings: OciSettings, namespace: dict[str, Any]) -> None:
    """Open the comm to the JupyterLab extension and answer what it asks (it asks when the kernel is idle: a
    busy kernel reads no comm messages)."""
    bridge = session.current().bridge

    def reset(data: dict[str, Any]) -> None:
        session.current().conversation.reset()
        bridge.send(state_message(settings))

    def undo_or_keep(data: dict[str, Any]) -> None:
        """The Undo and Keep buttons of a run in the sidebar: `%oci undo N` / `%oci keep N`."""
        try:
            text = undo.take_back(data["type"], data.get("run"), namespace)
        except OciError as exc:
            text = f"oci · {exc}"
        bridge.send(kernel_message("notice", message=text))
        bridge.send(state_message(settings))

    bridge.handlers.update(
        {
            "hello": lambda data: bridge.send(state_message(settings)),
            "state": lambda data: bridge.send(state_message(settings)),
            "settings": lambda data: _settings_from_frontend(settings, data),
            "reset": reset,
            "undo": undo_or_keep,
            "keep": undo_or_keep,
        }
    )
    bridge.open()


def state_message(settings: OciSettings) -> dict[str, Any]:
    """What the sidebar shows: the model, the settings it edits, this kernel's runs."""
    state = session.current()
    return kernel_message(
        "state",
        model=engine.describe(state, settings.engine_settings()),
        settings={name: getattr(settings, name) for name in FRONTEND_SETTINGS.values()},
        runs=[run_info(run, undo.undo_state(run)) for run in state.runs],
        conversation_turns=state.conversation.turns,
        undo_held=undo.held_line(),
        plans=[plan_info(plan) for plan in state.plans],
    )


def _settings_from_frontend(settings: OciSettings, data: dict[str, Any]) -> None:
    bridge = session.current().bridge
    for name in FRONTEND_SETTINGS.values():
        if name in data and data[name] != getattr(settings, name):
            try:
                setattr(settings, name, data[name])
            except TraitError as exc:
                bridge.send(kernel_message("error", message=f"{name}: {exc}"))
    bridge.send(state_message(settings))
