"""oci-magic: OpenCodeInterpreter in Jupyter. `%load_ext oci_magic`, then write a request under `%%oci`.

Importing this package loads neither llama.cpp nor a model: both wait for the first `%%oci`.
"""

from __future__ import annotations

from oci_magic.backends import Backend, Reply, ReplyStats
from oci_magic.errors import BackendError, ContextOverflowError, ModelLoadError, ModelNotFoundError, OciError
from oci_magic.loop.records import ErrorInfo, Round, Run
from oci_magic.versions import __version__

__all__ = [
    "Backend",
    "BackendError",
    "ContextOverflowError",
    "ErrorInfo",
    "ModelLoadError",
    "ModelNotFoundError",
    "OciError",
    "Reply",
    "ReplyStats",
    "Round",
    "Run",
    "last_run",
    "load_ipython_extension",
    "set_backend",
    "__version__",
]


def load_ipython_extension(ipython) -> None:
    """`%load_ext oci_magic`: attach the kernel's OciMagics (settings and state) to the shell and register
    `%%oci` and `%oci`, silently."""
    from oci_magic.jupyter import manager, sidebar, warm_start
    from oci_magic.jupyter.magics import OciCommands

    oci = manager.of(ipython)  # made once: reloading the extension keeps the runs and the settings
    ipython.register_magics(OciCommands)
    # Remembers the cells that raise, for `%oci fix`; registered once even if the extension is reloaded.
    if oci.record_cell not in ipython.events.callbacks["post_run_cell"]:
        ipython.events.register("post_run_cell", oci.record_cell)
    # Offer the JupyterLab extension a comm; it answers only where it is installed.
    sidebar.connect(oci)
    # The model loads in the background once this cell ends (settings: warm_start).
    warm_start.begin_after_this_cell(oci)


def last_run() -> Run | None:
    """The last `%%oci` run in this kernel (also `_oci` in the notebook); None before the first."""
    from oci_magic.jupyter.manager import of_this_kernel

    return of_this_kernel().last_run


def set_backend(backend: Backend | None) -> None:
    """Answer every later `%%oci` in this kernel with `backend` (a `Backend` subclass: the README's "Plug in
    another engine"); `set_backend(None)` returns to the llama.cpp model from the settings."""
    from oci_magic.jupyter.manager import of_this_kernel

    of_this_kernel().set_backend(backend)
