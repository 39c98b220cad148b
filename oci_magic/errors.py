"""The exceptions oci-magic raises. Every message says what went wrong and how to fix it.

OciError
├── ModelNotFoundError     no model given, or the name/path does not lead to a GGUF file
├── ModelAssemblyError     a model's PyPI parts cannot be joined into the pinned file (version, bytes, disk)
├── ModelLoadError         llama.cpp could not load the file (corrupt, too big, unsupported)
├── ChatFormatError        the chat format does not fit the model (no template, a template that refuses)
├── ContextOverflowError   the request cannot fit in the model's context window
├── BackendError           the engine failed while generating
└── RunInProgressError     a %%oci run was started from the code of the run in progress
"""

from __future__ import annotations

__all__ = [
    "OciError",
    "ModelNotFoundError",
    "ModelAssemblyError",
    "ModelLoadError",
    "ChatFormatError",
    "ContextOverflowError",
    "BackendError",
    "RunInProgressError",
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
