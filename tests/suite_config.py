"""The suite under another llama.cpp configuration than the defaults, so that it can be run under every one
a machine allows: `OCI_TEST_LLAMA="cpu_repack=off speculation=off n_threads=1" pytest`.

The configured values become the magic's settings (`%config OciMagics...`, in the test shell and in the
kernels the tests start) and the values of a `LlamaCppBackend` made without them; a test that sets a value
of its own keeps it. Notebooks run by nbclient and command-line subprocesses use the defaults.
"""

from __future__ import annotations

import functools
import os

ENV = "OCI_TEST_LLAMA"
SETTINGS = ("cpu_repack", "speculation", "n_threads")


def configured() -> dict[str, object]:
    """The settings named in $OCI_TEST_LLAMA, checked."""
    chosen: dict[str, object] = {}
    for item in os.environ.get(ENV, "").split():
        name, _, value = item.partition("=")
        if name not in SETTINGS or not value:
            raise ValueError(f"{ENV}: {item!r} is not one of {', '.join(f'{n}=...' for n in SETTINGS)}")
        chosen[name] = int(value) if name == "n_threads" else value
    return chosen


def config_lines() -> list[str]:
    """`%config` lines that make the configured values the magic's settings."""
    return [f"%config OciMagics.{name} = {value!r}" for name, value in configured().items()]


def apply() -> None:
    """Make the configured values those of every llama.cpp backend made in this process without them."""
    chosen = configured()
    if not chosen:
        return
    from oci_magic.backends import llamacpp

    backend = llamacpp.LlamaCppBackend
    if getattr(backend.__init__, "configured", False):
        return
    original = backend.__init__

    @functools.wraps(original)
    def init(self, model_path, **options):
        original(self, model_path, **{**chosen, **options})

    init.configured = True
    backend.__init__ = init
