"""The notebook suite: realistic requests of the kind people type under `%%oci`, each with the files and
variables it starts from, a hidden check of the state it must leave, and a reference solution.

The tasks are data, shipped with the package: `notebook_suite/single/NN-name/` holds a single-request task,
`notebook_suite/plan/NN-name/` a multi-step one (kind "plan": one request that is several cells of work,
with a hidden check per step; `oci-magic eval notebook` runs each as one `%%oci` and as `%%oci --plan`).
Each folder has `task.toml` (name, kind, requests, setup, check, step_checks, reference) and `files/`, the
files the task starts from, byte for byte. NN orders them: `--tasks 0-35` are the single tasks by number.

A task's `setup` runs first (the user's earlier cells), its `requests` go through `%%oci` one cell each
(a follow-up continues the conversation), then `check` runs in the same kernel: it raises (an assert with a
message) when the work was not done. The check never sees the model's code, only what it left behind, and
accepts every reasonable way of doing it (a Series or a dict, either order of columns...). Besides the
user's variables it can read `_eval_displayed`: the mime types of what the requests' cells displayed. The
expected values in the checks were computed from the data in Python, never by the code under test.

`reference` is one solution per request: the self-check runs it (every check must pass) and runs nothing
(every check must fail), so that no check is vacuous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomllib

__all__ = ["NotebookTask", "TASKS", "PLAN_TASKS", "load_tasks"]

FOLDER = Path(__file__).with_name("notebook_suite")


@dataclass(frozen=True)
class NotebookTask:
    name: str
    kind: str  # files, merge, dates, cleaning, plot, function, follow-up, data, plan
    requests: tuple[str, ...]
    check: str
    reference: tuple[str, ...]
    setup: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # relative path: content
    # Kind "plan": one check per step of the request, each run on the state left at the end.
    step_checks: tuple[str, ...] = ()

    def write_files(self, folder: Path) -> None:
        """The files the task starts from, written into `folder`."""
        for name, content in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def load_task(folder: Path) -> NotebookTask:
    data = tomllib.loads((folder / "task.toml").read_text(encoding="utf-8"))
    files_folder = folder / "files"
    files = {
        path.relative_to(files_folder).as_posix(): path.read_bytes()
        for path in sorted(files_folder.rglob("*"))
        if path.is_file()
    }
    return NotebookTask(
        name=data["name"],
        kind=data["kind"],
        requests=tuple(data["requests"]),
        check=data["check"],
        reference=tuple(data["reference"]),
        setup=data.get("setup", ""),
        files=files,
        step_checks=tuple(data.get("step_checks", ())),
    )


def load_tasks(group: str) -> list[NotebookTask]:
    """The tasks of `group` ("single" or "plan"), in their numbered order."""
    return [load_task(folder) for folder in sorted((FOLDER / group).iterdir()) if folder.is_dir()]


TASKS: list[NotebookTask] = load_tasks("single")
PLAN_TASKS: list[NotebookTask] = load_tasks("plan")
