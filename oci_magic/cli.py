"""`oci-magic`: run a notebook with `%%oci` cells end to end and print what the model did.

oci-magic run examples/quickstart.ipynb      # writes examples/quickstart.executed.ipynb
oci-magic eval humaneval --limit 10          # HumanEval through the loop: single turn vs execution feedback
oci-magic eval notebook                      # realistic notebook requests through %%oci, hidden checks
oci-magic eval ds1000 --sample 150           # DS-1000's StackOverflow problems through %%oci, their own tests
oci-magic bench                              # speed: decode vs raw llama.cpp, repair, load, start-up
oci-magic pull oci-ds-6.7b                   # download a model into the Hugging Face cache
oci-magic models                             # known and downloaded models, and the one %%oci would use
oci-magic doctor                             # the llama.cpp build, free memory, whether the model fits
oci-magic version
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oci_magic.models.resolve import models_table
from oci_magic.versions import package_versions

__all__ = ["main", "run_notebook"]


def _cell_text(cell) -> str:
    """The text a cell printed: stream outputs and text/plain results, in order."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain")
            if text:
                parts.append(text + "\n")
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}\n")
    return "".join(parts)


def run_notebook(path: Path, output: Path, *, timeout: int, kernel: str) -> int:
    """Execute `path` in a fresh kernel, print its `%%oci` cells and what they printed, save `output`."""
    import os
    import tempfile

    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    failed = None
    with tempfile.TemporaryDirectory(prefix="oci-magic-run-") as sockets:
        # Where it can, the kernel talks over local IPC sockets (in a folder of its own): nothing listens on
        # the network, and ipykernel has no unencrypted-TCP warning to print.
        manager = AsyncKernelManager(kernel_name=kernel)
        if os.name == "posix":
            manager.transport, manager.ip = "ipc", os.path.join(sockets, "kernel")
        client = NotebookClient(
            notebook,
            km=manager,
            timeout=timeout,
            kernel_name=kernel,
            store_widget_state=True,  # the widgets' rounds stay in the saved notebook
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            # The kernel manager is ours, so nbclient would leave the kernel running; it is shut down here,
            # not left to notice that its parent exited (it would say so after the run's last line).
            client.execute(cleanup_kc=True)
        except CellExecutionError as exc:
            failed = exc
        finally:
            nbformat.write(notebook, output)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith("%%oci"):
            print(f"\n>>> {cell.source.strip()}\n")
            print(_cell_text(cell).rstrip())
    print(f"\nexecuted notebook written to {output}")
    if failed is not None:
        print(f"\na cell failed:\n{failed}", file=sys.stderr)
        return 1
    return 0


def _pull(name: str) -> int:
    from oci_magic.errors import OciError
    from oci_magic.models.download import pull

    try:
        path = pull(name)
    except OciError as exc:
        print(f"oci-magic pull: {exc}", file=sys.stderr)
        return 1
    print(f"{name} is ready: {path}")
    return 0


def doctor_report(n_ctx: int = 4096) -> str:
    """What this machine offers the model, and whether the model %%oci would use fits."""
    from oci_magic.backends import llamacpp
    from oci_magic.errors import OciError
    from oci_magic.models import memory
    from oci_magic.models.resolve import resolve_model

    info = llamacpp.system_info()
    gpu = llamacpp.gpu_offload_supported()
    amx = "AMX" in info
    ram, vram = memory.available_ram(), memory.free_vram()
    lines = [
        *package_versions(),
        f"llama.cpp build: {info.strip()}",
        f"GPU backend compiled in: {'yes' if gpu else 'no (CPU only; see the README for CUDA/Metal builds)'}",
        "AMX weight-repacking workaround: "
        + ("on (cpu_repack = auto turns repacking off)" if amx else "not needed"),
        f"weight repacking (cpu_repack = off, the default): {llamacpp.repacking_choice('off')}",
        f"weight repacking with cpu_repack = auto: {llamacpp.repacking_choice('auto')}",
        f"free memory: {memory.gib(ram) if ram is not None else 'unknown'}",
        f"free GPU memory: {memory.gib(vram) if vram is not None else 'no NVIDIA GPU found'}",
    ]
    try:
        path, source = resolve_model("")
    except OciError as exc:
        lines.append(f"model: none. {exc}")
        return "\n".join(lines)
    need = memory.estimate(path, n_ctx)
    available, where = (vram, "free GPU memory") if gpu and vram is not None else (ram, "free memory")
    refusal = memory.fits_message(need, available, n_ctx=n_ctx, where=where)
    lines.append(f"model: {path} ({source})")
    lines.append(
        f"it needs about {memory.gib(need.total)} at n_ctx = {n_ctx} ({memory.gib(need.weights)} of weights, "
        f"{memory.gib(need.kv_cache)} of KV cache): "
        + ("fits" if refusal is None else f"does NOT fit: {refusal}")
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oci-magic", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook and print its %%oci rounds")
    run.add_argument("notebook", type=Path)
    run.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to write the executed notebook (default: NAME.executed.ipynb beside it)",
    )
    run.add_argument("--timeout", type=int, default=900, help="seconds one cell may take (default 900)")
    run.add_argument("--kernel", default="python3", help="kernel name (default python3)")
    bench = commands.add_parser("bench", help="measure speed: decode, prompt, repair, load, start-up, memory")
    bench.add_argument("--model", default="", help="GGUF file or 'small' (default: as %%%%oci would choose)")
    bench.add_argument(
        "--short", action="store_true", help="one repeat, short replies (a quick look, as in CI)"
    )
    bench.add_argument("--repeats", type=int, default=5, help="decode measurements of each kind (default 5)")
    bench.add_argument("--max-tokens", type=int, default=256, help="tokens a reply (default 256)")
    bench.add_argument(
        "--llama-bench", metavar="PATH", help="llama.cpp's llama-bench binary: its tg figure too"
    )
    bench.add_argument("--views", action="store_true", help="also what each view costs the decode speed")
    bench.add_argument("--json", type=Path, help="also write the figures to this file")
    pull = commands.add_parser("pull", help="download a model from Hugging Face (resumable, checked)")
    pull.add_argument("name", help="a known name (oci-magic models lists them) or hf:owner/repo/file.gguf")
    commands.add_parser("models", help="list the known and downloaded models, and which one %%oci would use")
    commands.add_parser("doctor", help="the llama.cpp build, free memory, and whether the model fits")
    commands.add_parser("version", help="print versions")
    from oci_magic.evaluation import command as evaluation

    evaluation.add_arguments(
        commands.add_parser(
            "eval",
            help="HumanEval or realistic notebook tasks through the %%oci loop: single turn vs "
            "execution feedback",
        )
    )
    args = parser.parse_args(argv)
    if args.command == "doctor":
        print(doctor_report())
        return 0
    if args.command == "pull":
        return _pull(args.name)
    if args.command == "models":
        print(models_table())
        return 0
    if args.command == "version":
        print("\n".join(package_versions()))
        return 0
    if args.command == "eval":
        return evaluation.main(args)
    if args.command == "bench":
        from oci_magic import bench as benchmarks

        return benchmarks.main(
            args.model,
            short=args.short,
            repeats=args.repeats,
            max_tokens=args.max_tokens,
            json_path=args.json,
            llama_bench_path=args.llama_bench,
            views=args.views,
        )
    if not args.notebook.is_file():
        parser.error(f"no notebook at {args.notebook}")
    output = args.output or args.notebook.with_suffix(".executed.ipynb")
    return run_notebook(args.notebook, output, timeout=args.timeout, kernel=args.kernel)


if __name__ == "__main__":
    sys.exit(main())
