"""OpenCodeInterpreter GGUF files by short name: where each lives on Hugging Face, its quantization and size.

`oci-ds-6.7b` is the recommended model. A name is also accepted as `hf:owner/repo/file.gguf` for any GGUF on
the Hub. Sizes are what the files weigh (decimal GB), for messages and memory checks before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ModelNotFoundError

__all__ = ["KnownModel", "KNOWN_MODELS", "RECOMMENDED", "lookup", "parse_hf_name"]


@dataclass(frozen=True)
class KnownModel:
    name: str
    repo: str
    filename: str
    quantization: str
    size_bytes: int | None
    note: str = ""

    @property
    def size_text(self) -> str:
        return f"{self.size_bytes / 1e9:.1f} GB" if self.size_bytes else "size unknown"


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
    )
}

RECOMMENDED = "oci-ds-6.7b"


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
    return KNOWN_MODELS.get(name.lower())
