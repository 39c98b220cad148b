"""A model served over HTTP by any OpenAI-compatible server: llama.cpp's server, llama-cpp-python's server,
vLLM, Ollama. The same loop, widget and rounds as a local model; a team shares one GPU box.

The API key is read from the environment variable named in `api_key_env` at each call: it is never
printed, never part of the backend's name or description, never written anywhere.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from oci_magic.backends.base import Backend, Reply, ReplyStats
from oci_magic.errors import BackendError

__all__ = ["RemoteBackend"]


class RemoteBackend(Backend):
    def __init__(
        self,
        endpoint: str,
        *,
        model: str = "",
        api_key_env: str = "OCI_MAGIC_API_KEY",
        timeout: float = 120.0,
    ) -> None:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise BackendError(f"the endpoint {endpoint!r} is not a URL like http://host:8000/v1")
        self.endpoint = endpoint.rstrip("/")
        self.api_key_env = api_key_env
        self.timeout = timeout
        self._lock = threading.Lock()  # one request at a time, as with a local model
        self.model = model  # until the server is asked which it serves
        self.model = model or self._first_model()
        if model:
            served = self._model_ids()
            if served and model not in served:
                raise BackendError(
                    f"{self.endpoint} has no model {model!r}; it serves: {', '.join(served)}. "
                    "Set OciMagics.endpoint_model (or --model) to one of them"
                )
        self.name = f"{self.model} @ {parsed.netloc}"

    def _client(self):
        """A client for one request, used in a `with` block so that its connection is closed after it (the
        key is read from the environment each time, so a corrected key works at once)."""
        from openai import OpenAI

        # Servers without authentication accept any key; the client insists on one.
        key = os.environ.get(self.api_key_env) or "none"
        return OpenAI(base_url=self.endpoint, api_key=key, timeout=self.timeout, max_retries=0)

    def _explain(self, exc: Exception) -> BackendError:
        import openai

        where = self.endpoint
        if isinstance(exc, openai.APITimeoutError):
            return BackendError(f"{where} did not answer within {self.timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return BackendError(f"cannot reach {where}: is the server running, and is the address right?")
        if isinstance(exc, openai.AuthenticationError):
            return BackendError(
                f"{where} refused the API key (401): put the right key in the environment variable "
                f"{self.api_key_env} (the setting OciMagics.api_key_env names it)"
            )
        if isinstance(exc, openai.NotFoundError):
            return BackendError(
                f"{where} has no model {self.model!r} (404); its models: "
                f"{', '.join(self._model_ids()) or 'none listed'}. Set OciMagics.endpoint_model"
            )
        if isinstance(exc, openai.APIStatusError):
            return BackendError(f"{where} answered {exc.status_code}: {exc.message}")
        return BackendError(f"{where}: {type(exc).__name__}: {exc}")

    def _model_ids(self) -> list[str]:
        try:
            with self._client() as client:
                return [model.id for model in client.models.list()]
        except Exception:
            return []

    def _first_model(self) -> str:
        import openai

        try:
            with self._client() as client:
                models = [model.id for model in client.models.list()]
        except openai.OpenAIError as exc:
            raise self._explain(exc) from None
        if not models:
            raise BackendError(f"{self.endpoint} serves no model; set OciMagics.endpoint_model")
        return models[0]

    def clone(self) -> RemoteBackend:
        """Another backend for the same server and model, for a thread of its own: each one sends one
        request at a time and keeps its own figures, so that several can be in flight (`eval --jobs`)."""
        twin = copy.copy(self)
        twin._lock = threading.Lock()
        return twin

    def info(self) -> dict[str, Any]:
        return {"model": self.model, "endpoint": self.endpoint, "API key from": f"${self.api_key_env}"}

    def stream_chat(self, messages: list[dict], **options: Any) -> Reply:
        """Stream the reply. `grammar` (GBNF) is passed on to servers that know it (llama.cpp's)."""
        stats = ReplyStats()
        return Reply(self._stream(messages, stats, **options), stats)

    def _stream(
        self,
        messages: list[dict],
        stats: ReplyStats,
        *,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        stop: list[str] | None = None,
        grammar: str | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        import openai

        options: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if stop:
            options["stop"] = stop
        if seed is not None:
            options["seed"] = seed
        if grammar is not None:
            options["extra_body"] = {"grammar": grammar}
        with self._lock:
            chunks, finish = 0, None
            try:
                with (
                    self._client() as client,
                    client.chat.completions.create(
                        model=self.model, messages=messages, stream=True, **options
                    ) as stream,
                ):
                    for event in stream:
                        if not event.choices:
                            continue
                        choice = event.choices[0]
                        finish = choice.finish_reason or finish
                        if choice.delta and choice.delta.content:
                            chunks += 1
                            stats.generated_tokens = chunks  # a chunk is about a token; none are counted here
                            yield choice.delta.content
            except openai.OpenAIError as exc:
                raise self._explain(exc) from None
            stats.finish_reason = finish
