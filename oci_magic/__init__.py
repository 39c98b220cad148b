"""oci-magic: OpenCodeInterpreter in Jupyter. `%load_ext oci_magic`, then write a request under `%%oci`.

Importing this package loads neither llama.cpp nor a model: both wait for the first `%%oci`.
"""

from __future__ import annotations

from oci_magic.backends import Backend, Reply, ReplyStats
from oci_magic.errors import BackendError, ContextOverflowError, ModelLoadError, ModelNotFoundError, OciError
from oci_magic.jupyter.session import last_run, set_backend
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
    """`%load_ext oci_magic`: register `%%oci` and `%oci`, silently."""
    from oci_magic.jupyter.magics import OciMagics
    from oci_magic.jupyter.session import record_cell

    ipython.register_magics(OciMagics)
    # Remembers the cells that raise, for `%oci fix`; registered once even if the extension is reloaded.
    if record_cell not in ipython.events.callbacks["post_run_cell"]:
        ipython.events.register("post_run_cell", record_cell)
    # Offer the JupyterLab extension a comm; it answers only where it is installed.
    magics = ipython.magics_manager.registry["OciMagics"]
    magics.connect_bridge()
