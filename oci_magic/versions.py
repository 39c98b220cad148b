"""The versions `%oci version` and `oci-magic version` report."""

from __future__ import annotations

from importlib import metadata

__all__ = ["__version__", "package_versions"]

__version__ = "0.1.0"

PACKAGES = ("oci-magic", "llama-cpp-python", "ipython")


def package_versions() -> list[str]:
    """'name version' lines, read from installed metadata (nothing is imported)."""
    lines = []
    for package in PACKAGES:
        try:
            lines.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{package} not installed")
    return lines
