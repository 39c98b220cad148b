"""Which file a model setting names (resolve.resolve_model) and the names the registry knows."""

from __future__ import annotations

import pytest

from oci_magic.errors import ModelNotFoundError
from oci_magic.models.registry import KNOWN_MODELS, lookup, parse_hf_name
from oci_magic.models.resolve import ENV_VAR, resolve_model


def test_a_path_a_folder_with_one_gguf_and_the_environment_variable(tiny_gguf, monkeypatch):
    assert resolve_model(str(tiny_gguf)) == (tiny_gguf, "--model / OciMagics.model")
    assert resolve_model(str(tiny_gguf.parent))[0] == tiny_gguf
    monkeypatch.setenv(ENV_VAR, str(tiny_gguf))
    assert resolve_model("") == (tiny_gguf, f"${ENV_VAR}")


def test_what_cannot_be_resolved_says_what_would_be(tmp_path):
    with pytest.raises(ModelNotFoundError, match="unknown model 'gpt-9'.*hf:owner/repo/file.gguf"):
        resolve_model("gpt-9")
    with pytest.raises(ModelNotFoundError, match="no model file at"):
        resolve_model(str(tmp_path / "missing.gguf"))
    (tmp_path / "a.gguf").write_bytes(b"")
    (tmp_path / "b.gguf").write_bytes(b"")
    with pytest.raises(ModelNotFoundError, match="2 .gguf files; name the file itself"):
        resolve_model(str(tmp_path))


def test_names_aliases_and_hub_names():
    assert lookup("small").name == "gemma-3-270m" and lookup("SMALL") is lookup("small")
    assert all(lookup(name) is model for name, model in KNOWN_MODELS.items())
    assert lookup("no-such-model") is None
    hub = parse_hf_name("hf:owner/repo/sub/file.gguf")
    assert (hub.repo, hub.filename) == ("owner/repo", "sub/file.gguf")
    with pytest.raises(ModelNotFoundError, match="hf:owner/repo/file.gguf"):
        parse_hf_name("hf:owner/file.gguf")
