"""`oci-magic eval undo`: does undo put back what code written by others changed? DS-1000's reference
solutions, each run as a run's code in an IPython shell after its problem's setup cell, then undone: every
variable the setup made is compared with a deep copy taken before the code ran.

Figures: problems whose variables all came back (the rest, name by name: changed in place and not copied,
or not copyable); copies made of objects the code did not change (memory spent for nothing); what the code
was said to do outside the namespace.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["main", "same"]


def same(a: Any, b: Any, depth: int = 0) -> bool:
    """Equal as data: frames and arrays by content (NaN equal to NaN), containers item by item, objects
    without an equality of their own by their attributes; what cannot be compared counts as equal."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if depth > 20:
        return True
    try:
        import numpy as np

        if isinstance(a, np.ndarray):
            if a.shape != b.shape or a.dtype != b.dtype:
                return False
            return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        if hasattr(a, "equals") and callable(a.equals):
            return bool(a.equals(b))
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k], depth + 1) for k in a)
        if isinstance(a, (list, tuple)):
            return len(a) == len(b) and all(same(x, y, depth + 1) for x, y in zip(a, b, strict=True))
        if type(a).__eq__ is object.__eq__:
            state_a, state_b = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
            return True if state_a is None else same(state_a, state_b, depth + 1)
        result = a == b
        return bool(result) if isinstance(result, (bool, np.bool_)) else True
    except Exception:
        return True  # cannot tell: not counted against undo


def check(problem: Any, shell: Any) -> dict[str, Any]:
    from oci_magic.executors.kernel import KernelExecutor
    from oci_magic.undo.checkpoint import Checkpoint

    shell.user_ns.clear()
    shell.init_user_ns()
    setup = shell.run_cell(problem.setup)
    if not setup.success:
        return {"id": problem.id, "library": problem.library, "skipped": "setup failed"}
    before = {}
    for name, value in shell.user_ns.items():
        if name.startswith("_") or name in ("In", "Out", "exit", "quit", "get_ipython"):
            continue
        try:
            before[name] = copy.deepcopy(value)
        except Exception:
            pass
    executor = KernelExecutor(shell, show_outputs=False)
    executor.checkpoint = Checkpoint(shell.user_ns, budget=None)
    result = executor.run(problem.reference_cell, timeout=60)
    checkpoint = executor.checkpoint
    checkpoint.close()
    ns = shell.user_ns
    changed = [name for name, old in before.items() if name in ns and not same(ns[name], old)]
    copied_ids = set(checkpoint.copies)
    copied_names = [name for name in before if id(shell.user_ns.get(name)) in copied_ids]
    report = checkpoint.undo(shell.user_ns)
    not_back = [name for name, old in before.items() if name not in ns or not same(ns[name], old)]
    return {
        "id": problem.id,
        "library": problem.library,
        "error": result.error.type if result.error else None,
        "changed": changed,
        "copied": copied_names,
        "copied_unchanged": [name for name in copied_names if name not in changed],
        "not_back": not_back,
        "said_not_restored": report.not_restored,
        "outside": [str(effect) for effect in report.outside],
        "outside_kinds": [str(effect.kind) for effect in report.outside],
    }


def main(out: Path, limit: int | None = None, data: Path | None = None) -> int:
    from IPython.core.interactiveshell import InteractiveShell

    from oci_magic.evaluation.ds1000 import load_problems

    shell = InteractiveShell.instance()
    problems = load_problems(data)
    problems = problems[:limit] if limit else problems
    results, started = [], time.perf_counter()
    out = out.resolve()
    here = Path.cwd()
    # The solutions write files (ans.png, dataframe.csv, a pickled model): into a folder of their own.
    with tempfile.TemporaryDirectory(prefix="oci-undo-ds1000-") as folder:
        os.chdir(folder)
        try:
            for problem in problems:
                try:
                    results.append(check(problem, shell))
                except BaseException as exc:  # one problem's crash is that problem's
                    if isinstance(exc, KeyboardInterrupt):
                        break
                    skipped = f"{type(exc).__name__}"
                    results.append({"id": problem.id, "library": problem.library, "skipped": skipped})
        finally:
            os.chdir(here)
    out.mkdir(parents=True, exist_ok=True)
    (out / "undo_ds1000.json").write_text(json.dumps(results, indent=1))
    ran = [r for r in results if "skipped" not in r]
    changing = [r for r in ran if r["changed"]]
    failed = [r for r in ran if r["not_back"]]
    silent = [r for r in failed if not r["said_not_restored"]]
    over = sum(len(r["copied_unchanged"]) for r in ran)
    outside = Counter(kind for r in ran for kind in r["outside_kinds"])
    took = time.perf_counter() - started
    skipped = len(results) - len(ran)
    print(f"DS-1000 reference solutions run and undone: {len(ran)} of {len(results)} "
          f"({skipped} skipped: setup failed or a library missing) in {took:.0f} s")  # fmt: skip
    print(f"  solutions that changed a variable of the setup: {len(changing)}")
    print(f"  all variables back after undo: {len(ran) - len(failed)} of {len(ran)}; "
          f"of the {len(changing)} that changed one: {len(changing) - len(failed)}")  # fmt: skip
    print(f"  not back: {len(failed)} problems ({len(silent)} of them without undo saying so)")
    for r in failed[:20]:
        said = r["said_not_restored"][:1]
        print(f"    {r['id']} {r['library']}: {', '.join(r['not_back'])} · said: {said}")
    wasted = sum(1 for r in ran if r["copied_unchanged"])
    print(f"  copies of variables the code did not change: {over} (in {wasted} problems)")
    print(f"  outside the namespace, said at undo: {dict(outside) or 'nothing'}")
    return 0


if __name__ == "__main__":
    # python -m oci_magic.evaluation.undo_ds1000 OUT [LIMIT [DS-1000's test.jsonl(.gz)]]
    arguments = sys.argv[1:]
    limit = int(arguments[1]) if len(arguments) > 1 and arguments[1] != "all" else None
    sys.exit(main(Path(arguments[0]), limit, Path(arguments[2]) if len(arguments) > 2 else None))
