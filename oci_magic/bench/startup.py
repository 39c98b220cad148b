"""Start-up figures, each in a fresh Python process: what `import oci_magic` + `%load_ext oci_magic` cost
(and that they leave llama_cpp unimported), and a cold model load (import of llama_cpp included)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from typing import Any

__all__ = ["import_time", "cold_load"]

_IMPORT = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
started = time.perf_counter()
import oci_magic
imported = time.perf_counter()
shell.run_line_magic("load_ext", "oci_magic")
done = time.perf_counter()
print(json.dumps({"import_seconds": imported - started, "load_ext_seconds": done - imported,
                  "llama_cpp_imported": "llama_cpp" in sys.modules}))
"""

_LOAD = """
import json, sys, time
started = time.perf_counter()
from oci_magic.backends.llamacpp import LlamaCppBackend
backend = LlamaCppBackend(sys.argv[1], n_ctx=int(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - started, "load_seconds": backend.load_time}))
"""


def _run(script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_time(repeats: int = 5) -> dict[str, Any]:
    """Median over `repeats` fresh processes (IPython itself is loaded before the clock starts)."""
    samples = [_run(_IMPORT) for _ in range(repeats)]
    totals = [sample["import_seconds"] + sample["load_ext_seconds"] for sample in samples]
    return {
        "seconds": statistics.median(totals),
        "import_seconds": statistics.median(sample["import_seconds"] for sample in samples),
        "load_ext_seconds": statistics.median(sample["load_ext_seconds"] for sample in samples),
        "llama_cpp_imported": any(sample["llama_cpp_imported"] for sample in samples),
        "samples": totals,
    }


def cold_load(model: str, n_ctx: int) -> dict[str, Any]:
    """A first load in a fresh process: importing llama_cpp, then llama.cpp reading the file."""
    return _run(_LOAD, model, str(n_ctx))
