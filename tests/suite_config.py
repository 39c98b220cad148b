"""The suite under another llama.cpp configuration than the defaults, so that it can be run under every one
a machine allows: `OCI_TEST_LLAMA="cpu_repack=off speculation=off n_threads=1" pytest`.

What a setting left at its default ("auto", 0) chooses is replaced by the configured value, in this process
(conftest applies it) and in the kernels the tests start (live_kernel applies it); a test that sets a value
of its own keeps it. Notebooks run by nbclient and command-line subprocesses use the defaults.
"""

from __future__ import annotations

import functools
import os

ENV = "OCI_TEST_LLAMA"
DEFAULTS = {"cpu_repack": "auto", "speculation": "auto", "n_threads": 0}


def configured() -> dict[str, object]:
    """The settings named in $OCI_TEST_LLAMA, checked."""
    chosen: dict[str, object] = {}
    for item in os.environ.get(ENV, "").split():
        name, _, value = item.partition("=")
        if name not in DEFAULTS or not value:
            raise ValueError(f"{ENV}: {item!r} is not one of {', '.join(f'{n}=...' for n in DEFAULTS)}")
        chosen[name] = int(value) if name == "n_threads" else value
    return chosen


def apply() -> None:
    """Make the configured values the defaults of every llama.cpp load and reply in this process."""
    chosen = configured()
    if not chosen:
        return
    from oci_magic.backends import llamacpp

    backend = llamacpp.LlamaCppBackend
    if getattr(backend.__init__, "configured", False):
        return
    original_init, original_speculates = backend.__init__, backend.speculates

    @functools.wraps(original_init)
    def init(self, model_path, **options):
        for name in ("cpu_repack", "n_threads"):
            if name in chosen and options.get(name, DEFAULTS[name]) == DEFAULTS[name]:
                options[name] = chosen[name]
        original_init(self, model_path, **options)

    @functools.wraps(original_speculates)
    def speculates(self, **options):
        # The magic sets `speculation` after the load, from its own setting: applied per reply.
        saved = self.speculation
        if "speculation" in chosen and saved == DEFAULTS["speculation"]:
            self.speculation = chosen["speculation"]
        try:
            return original_speculates(self, **options)
        finally:
            self.speculation = saved

    init.configured = True
    backend.__init__, backend.speculates = init, speculates
