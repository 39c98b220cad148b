"""Which engine answers a `%%oci` call, and getting it ready: one owner for the model choice (a backend
installed with `set_backend`, an OpenAI-compatible server, or a GGUF file), the memory check before a load,
the load itself (once per kernel, shown by a view) and what the sidebar and `%oci status` say about it.

Errors are the package's own (`OciError`); the magic turns them into the one-line errors IPython shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from oci_magic.backends import Backend
from oci_magic.errors import OciError
from oci_magic.models import warm
from oci_magic.models.resolve import resolve_model

__all__ = [
    "EngineSettings",
    "ModelFile",
    "choose",
    "load",
    "warm_up",
    "memory_refusal",
    "describe",
    "chosen_by",
]

# The settings a model is loaded with: a change means loading again.
LOAD_SETTINGS = ("n_ctx", "n_threads", "n_gpu_layers", "chat_format", "cpu_repack", "verbose")


class LoadView(Protocol):
    """What shows a model loading (every view does)."""

    def loading(self, name: str, size_bytes: int) -> None: ...
    def load_progress(self, fraction: float) -> None: ...
    def loaded(self, name: str, seconds: float) -> None: ...
    def load_failed(self, message: str) -> None: ...


class EngineState(Protocol):
    """Where the kernel keeps what the engine choice depends on (the kernel's OciMagics does)."""

    #: A backend installed with set_backend(); None means the llama.cpp model from the settings.
    backend: Backend | None
    #: The OpenAI-compatible server's backend, made once: (endpoint, model, key variable), the backend.
    remote: tuple[tuple, Backend] | None


@dataclass(frozen=True)
class EngineSettings:
    """The settings that pick and load the engine, as the magic's traits hold them."""

    model: str = ""
    endpoint: str = ""
    endpoint_model: str = ""
    api_key_env: str = "OCI_MAGIC_API_KEY"
    check_memory: bool = True
    load: dict[str, Any] = field(default_factory=dict)  # LOAD_SETTINGS by name
    speculation: str = "auto"  # applies to the loaded model from its next reply: no reload


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file to load with llama.cpp, and how."""

    path: Path
    params: dict[str, Any]
    speculation: str = "auto"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def key(self) -> tuple:
        """What a loaded model must match to be this one."""
        return (self.path, tuple(sorted(self.params.items())))


def choose(state: EngineState, settings: EngineSettings, model: str | None = None) -> Backend | ModelFile:
    """The backend that will answer: one installed with `set_backend` (unless `model` names another), the
    server's when an endpoint is set, else the model file to load (a `ModelFile`)."""
    if state.backend is not None and model is None:
        return state.backend
    if settings.endpoint:
        return _remote(state, settings, model)
    path, _ = resolve_model(model if model is not None else settings.model)
    params = dict(settings.load)
    if params.get("n_gpu_layers") == "auto":
        params["n_gpu_layers"] = -1  # llama.cpp: every layer, where there is a GPU backend to take them
    return ModelFile(path, params, settings.speculation)


def _remote(state: EngineState, settings: EngineSettings, model: str | None):
    """The OpenAI-compatible server's backend, made once per endpoint, model and key variable."""
    from oci_magic.backends.remote import RemoteBackend

    key = (settings.endpoint, model or settings.endpoint_model, settings.api_key_env)
    if state.remote is None or state.remote[0] != key:
        state.remote = (key, RemoteBackend(settings.endpoint, model=key[1], api_key_env=settings.api_key_env))
    return state.remote[1]


def load(choice: Backend | ModelFile, view: LoadView, *, check_memory: bool = True) -> Backend:
    """The backend for a choice: a model file is loaded once per kernel (the view shows the load and, when
    it fails, why; or the warm start's load, waited for); any other choice is a backend already."""
    if not isinstance(choice, ModelFile):
        return choice
    from oci_magic.backends import llamacpp  # llama_cpp itself is imported only when a model loads

    path, params = choice.path, choice.params
    # The load the warm start began is the one this call would do: it is waited for, and shown.
    waited = warm.wait_for(choice.key, view, path.name, path.stat().st_size)
    if llamacpp.is_cached(path, **params):
        backend = llamacpp.load_cached(path, **params)
        backend.speculation = choice.speculation
        if waited:
            view.loaded(backend.name, backend.load_time)
        return backend
    if check_memory:
        refusal = memory_refusal(path, params["n_ctx"], params["n_gpu_layers"])
        if refusal is not None:
            view.load_failed(refusal)
            raise OciError(refusal)
    view.loading(path.name, path.stat().st_size)
    try:
        backend = llamacpp.load_cached(path, on_progress=view.load_progress, **params)
    except OciError as exc:
        view.load_failed(str(exc))
        raise
    except KeyboardInterrupt:
        view.load_failed("interrupted")
        raise
    backend.speculation = choice.speculation
    view.loaded(backend.name, backend.load_time)
    return backend


def warm_up(
    choice: ModelFile, prefix: Callable[[Any], str] | None, *, check_memory: bool = True
) -> warm.WarmStart:
    """Load `choice` in the background and evaluate `prefix(backend)` ahead (warm.py), unless it is loaded
    already (its KV cache may hold a conversation) or will not fit (the `%%oci` that loads it says so)."""
    from oci_magic.backends import llamacpp

    path, params = choice.path, choice.params

    def load(on_progress: Callable[[float], None]) -> Backend | None:
        if llamacpp.is_cached(path, **params):
            return None
        if check_memory and (refusal := memory_refusal(path, params["n_ctx"], params["n_gpu_layers"])):
            raise OciError(refusal)
        backend = llamacpp.load_cached(path, on_progress=on_progress, **params)
        backend.speculation = choice.speculation
        return backend

    return warm.begin(choice.key, load, prefix)


def memory_refusal(path: Path, n_ctx: int, n_gpu_layers: int) -> str | None:
    """Why the model will not fit in free memory (GPU memory when its layers go there), or None."""
    from oci_magic.backends.llamacpp import gpu_offload_supported
    from oci_magic.models import memory

    try:
        need = memory.estimate(path, n_ctx)
    except Exception:
        return None  # an unreadable file: the load itself says what is wrong with it
    if n_gpu_layers != 0 and gpu_offload_supported():
        return memory.fits_message(need, memory.free_vram(), n_ctx=n_ctx, where="free GPU memory")
    return memory.fits_message(need, memory.available_ram(), n_ctx=n_ctx)


def chosen_by(settings: EngineSettings, loaded_path: Path) -> str | None:
    """Why the loaded model is the one the settings choose ("qwen-coder-1.5b, the best model installed"),
    or None when the settings now choose another."""
    try:
        path, source = resolve_model(settings.model)
    except OciError:
        return None
    return source if path == loaded_path else None


def describe(state: EngineState, settings: EngineSettings) -> dict[str, Any]:
    """The engine in a few fields, for the sidebar's model line: name, backend, loaded, why, size."""
    if state.backend is not None:
        return {"name": state.backend.name, "backend": "plugged in (set_backend)", "loaded": True}
    if settings.endpoint:
        remote = state.remote
        name = remote[1].name if remote else settings.endpoint
        return {"name": name, "backend": f"server {settings.endpoint}", "loaded": remote is not None}
    from oci_magic.backends import llamacpp

    loaded = llamacpp.cached_backend()
    try:
        path, source = resolve_model(settings.model)
    except OciError as exc:
        path, source, error = None, None, str(exc)
    if loaded is not None:
        why = source if loaded.path == path else None
        return {"name": loaded.name, "backend": "llama.cpp", "loaded": True, "why": why, **loaded.info()}
    if path is None:
        return {"name": None, "loaded": False, "error": error}
    size = f"{path.stat().st_size / 2**20:,.0f} MiB"
    summary = {"name": path.name, "backend": "llama.cpp", "loaded": False, "file": str(path)}
    return {**summary, "size": size, "why": source}
