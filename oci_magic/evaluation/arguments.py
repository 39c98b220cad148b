"""What the eval subcommands share: the model and kernel settings read from their arguments, and how a
command fails (a message on stderr, exit status 2)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

__all__ = ["fail", "slug", "kernel_model", "kernel_settings"]


def fail(message: str) -> int:
    print(f"oci-magic eval: {message}", file=sys.stderr)
    return 2


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower() or "model"


def kernel_model(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The model the eval's kernels load (a GGUF path, or the server's name) and what the results say of
    it. Raises OciError with the fix."""
    if args.endpoint:
        return args.model, {"name": args.model or "the server's", "endpoint": args.endpoint}
    from oci_magic.models.resolve import resolve_model

    path, source = resolve_model(args.model)
    return str(path), {"name": path.stem, "file": path.name, "source": source}


def kernel_settings(args: argparse.Namespace, model: str = ""):
    """The settings of the eval's kernels (notebook, ds1000) from the command line: 3 rounds as %%oci."""
    from oci_magic.evaluation.notebook import NotebookSettings

    return NotebookSettings(
        model=model,
        endpoint=args.endpoint,
        rounds=2 if args.rounds is None else args.rounds,
        max_tokens=args.max_tokens,
        timeout=args.timeout or 60.0,
        n_ctx=args.n_ctx,
        threads=args.threads,
        speculation=args.speculation,
        result_checks=args.result_checks == "on",
        second_look=args.second_look == "on",
        candidates=args.candidates,
    )
