"""Which engine answers a call (engine.choose) and getting it ready (engine.load): a backend installed with
set_backend wins unless the call names a model; an endpoint makes one server backend per endpoint, model and
key; otherwise the settings' GGUF file, loaded once and shown by the view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from helpers import ScriptedBackend

from oci_magic.errors import OciError
from oci_magic.models import engine


@dataclass
class State:
    backend: Any = None
    remote: tuple | None = None


@dataclass
class RecordingView:
    shown: list[tuple] = field(default_factory=list)

    def loading(self, name, size_bytes):
        self.shown.append(("loading", name))

    def load_progress(self, fraction):
        self.shown.append(("progress", fraction))

    def loaded(self, name, seconds):
        self.shown.append(("loaded", name))

    def load_failed(self, message):
        self.shown.append(("failed", message))


def settings(**changes) -> engine.EngineSettings:
    load = {"n_ctx": 256, "n_threads": 1, "n_gpu_layers": "auto", "chat_format": "auto", "cpu_repack": "off"}
    return engine.EngineSettings(load=load | {"verbose": False}, **changes)


def test_an_installed_backend_answers_unless_the_call_names_a_model(tiny_gguf):
    installed = ScriptedBackend([])
    state = State(backend=installed)
    assert engine.choose(state, settings(model=str(tiny_gguf))) is installed
    named = engine.choose(state, settings(), str(tiny_gguf))
    assert isinstance(named, engine.ModelFile) and named.path == tiny_gguf
    assert named.params["n_gpu_layers"] == -1  # 'auto': every layer, where a GPU backend takes them


def test_a_server_backend_is_made_once_per_endpoint_model_and_key():
    state = State()
    first = engine.choose(state, settings(endpoint="http://127.0.0.1:9/v1", endpoint_model="a"))
    assert engine.choose(state, settings(endpoint="http://127.0.0.1:9/v1", endpoint_model="a")) is first
    other = engine.choose(state, settings(endpoint="http://127.0.0.1:9/v1", endpoint_model="a"), "b")
    assert other is not first and state.remote[1] is other
    assert engine.describe(state, settings(endpoint="http://127.0.0.1:9/v1"))["loaded"] is True


def test_a_bad_model_name_is_an_error_that_says_what_to_use():
    with pytest.raises(OciError, match="unknown model 'no-such-model'"):
        engine.choose(State(), settings(model="no-such-model"))


def test_loading_shows_the_load_and_a_backend_passes_through(tiny_gguf):
    installed = ScriptedBackend([])
    view = RecordingView()
    assert engine.load(installed, view) is installed and not view.shown
    choice = engine.choose(State(), settings(model=str(tiny_gguf)))
    from oci_magic.backends import llamacpp

    was_cached = llamacpp.is_cached(choice.path, **choice.params)
    backend = engine.load(choice, view, check_memory=False)
    assert backend.path == tiny_gguf
    if not was_cached:  # a load is shown from its start to its end; a cached model loads nothing
        assert view.shown[0] == ("loading", tiny_gguf.name) and view.shown[-1] == ("loaded", backend.name)
    assert engine.load(choice, RecordingView(), check_memory=False) is backend  # once per kernel


def test_a_model_that_does_not_fit_is_refused_before_loading(tiny_gguf, monkeypatch):
    from oci_magic.models import memory

    monkeypatch.setattr(memory, "available_ram", lambda: 1024)  # 1 KiB free
    monkeypatch.setattr(memory, "free_vram", lambda: 1024)
    view = RecordingView()
    choice = engine.choose(State(), settings(model=str(tiny_gguf)))
    from oci_magic.backends import llamacpp

    monkeypatch.setattr(llamacpp, "is_cached", lambda path, **params: False)
    with pytest.raises(OciError) as refused:
        engine.load(choice, view, check_memory=True)
    assert view.shown == [("failed", str(refused.value))]
