"""`oci-magic eval safety`: how often `ask_before = "risky"` would ask, no model. On code nobody here wrote
for ordinary data work (DS-1000's reference solutions, after their problem's setup; the notebook suite's
references, after their task's files and setup) it should almost never ask; on the corpus of destructive and
exfiltrating snippets (risky_snippets.py) it should always ask. Each piece of code is read, as the loop reads
a round's code before it runs, in a folder of its own holding its task's files.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from oci_magic.evaluation.risky_snippets import FOLDER, SNIPPETS
from oci_magic.safety.risks import risks

__all__ = ["main"]


def _fresh(shell: Any) -> None:
    shell.user_ns.clear()
    shell.init_user_ns()


def _read(shell: Any, code: str) -> list[dict[str, Any]]:
    """What it would ask about `code`, as data: kind, line, the call, and the sentence the user reads."""
    found = risks(shell.transform_cell(code), shell.user_ns, Path.cwd())
    return [{"kind": r.kind, "line": r.line, "code": r.code, "said": str(r)} for r in found]


def corpus(shell: Any) -> list[dict[str, Any]]:
    """Each snippet of the corpus, read in a folder with the files it names."""
    results = []
    with tempfile.TemporaryDirectory(prefix="oci-safety-") as folder:
        for name, text in FOLDER.items():
            (Path(folder) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_text(text)
        here = os.getcwd()
        os.chdir(folder)
        try:
            for style, code in SNIPPETS:
                results.append({"style": style, "risks": _read(shell, code)})
        finally:
            os.chdir(here)
    return results


def notebook_references(shell: Any) -> list[dict[str, Any]]:
    """Each reference solution of the notebook suite (plain and multi-step tasks), read after the task's
    files, setup and earlier references."""
    from oci_magic.evaluation.notebook_tasks import PLAN_TASKS, TASKS

    results = []
    for task in [*TASKS, *PLAN_TASKS]:
        with tempfile.TemporaryDirectory(prefix="oci-safety-") as folder:
            task.write_files(Path(folder))
            here = os.getcwd()
            os.chdir(folder)
            try:
                _fresh(shell)
                if task.setup:
                    shell.run_cell(task.setup)
                for number, code in enumerate(task.reference, 1):
                    results.append({"task": f"{task.name} #{number}", "risks": _read(shell, code)})
                    shell.run_cell(code)
            finally:
                os.chdir(here)
    return results


def ds1000_references(shell: Any, data: Path | None) -> list[dict[str, Any]]:
    """Each DS-1000 reference solution, read after its problem's setup ran (its inputs in the namespace)."""
    from oci_magic.evaluation.ds1000 import load_problems

    results = []
    with tempfile.TemporaryDirectory(prefix="oci-safety-ds1000-") as folder:
        here = os.getcwd()
        os.chdir(folder)
        try:
            for problem in load_problems(data):
                _fresh(shell)
                try:
                    setup = shell.run_cell(problem.setup)
                except BaseException as exc:  # one problem's crash is that problem's
                    if isinstance(exc, KeyboardInterrupt):
                        break
                    setup = None
                ran = setup is not None and setup.success
                said = _read(shell, problem.reference_cell)
                row = {"id": problem.id, "library": problem.library, "setup_ran": ran, "risks": said}
                results.append(row)
        finally:
            os.chdir(here)
    return results


def main(out: Path, data: Path | None = None) -> int:
    from IPython.core.interactiveshell import InteractiveShell

    shell, started = InteractiveShell.instance(), time.perf_counter()
    found: dict[str, Any] = {"corpus": corpus(shell), "notebook": notebook_references(shell)}
    if data is not None or os.environ.get("OCI_DS1000_DATA"):
        found["ds1000"] = ds1000_references(shell, data)
    out.mkdir(parents=True, exist_ok=True)
    (out / "safety.json").write_text(json.dumps(found, indent=1))
    asked = [r for r in found["corpus"] if r["risks"]]
    print(f"destructive or exfiltrating snippets it asks about: {len(asked)} of {len(found['corpus'])}")
    for r in found["corpus"]:
        if not r["risks"]:
            print(f"  missed: {r['style']}")
    for name, label in (("notebook", "the notebook suite's references"), ("ds1000", "DS-1000's references")):
        if name not in found:
            print(f"{label}: not read (DS-1000's data: --data or $OCI_DS1000_DATA)")
            continue
        rows = found[name]
        asking = [r for r in rows if r["risks"]]
        share = 100 * len(asking) / max(len(rows), 1)
        print(f"{label} it would ask about: {len(asking)} of {len(rows)} ({share:.1f}%)")
        kinds = Counter(risk["kind"] for r in asking for risk in r["risks"])
        for kind, count in kinds.most_common():
            print(f"  {count} × {kind}")
        for r in asking[:30]:
            print(f"    {r.get('task') or r.get('id')}: {r['risks'][0]['said']}")
    print(f"({time.perf_counter() - started:.0f} s; every answer in {out / 'safety.json'})")
    return 0
