"""`oci-magic eval notebook`: the notebook suite's realistic requests through real `%%oci`, each judged by a
hidden check of the state it leaves; `--self-check` proves the checks (references pass, nothing fails)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from oci_magic.evaluation.arguments import fail, kernel_model, kernel_settings, slug

__all__ = ["run_notebook"]


def run_notebook(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from oci_magic.errors import OciError
    from oci_magic.evaluation.notebook import select_notebook_tasks, self_check, solve_task
    from oci_magic.evaluation.notebook_report import notebook_table, write_notebook_outputs

    try:
        tasks = select_notebook_tasks(args.tasks, args.limit)
    except ValueError as exc:
        return fail(str(exc))
    if args.self_check:
        bar = tqdm(total=len(tasks), desc="self-check", unit="task", file=sys.stderr)
        report = self_check(tasks, progress=lambda name: bar.update())
        bar.close()
        print(f"self-check · {len(tasks)} tasks: each reference solution, and nothing, run in a fresh kernel")
        if report["problems"]:
            print("PROBLEMS:\n" + "\n".join(f"  {problem}" for problem in report["problems"]))
            return 1
        print("the checks are sound: every reference solution passed and doing nothing failed every one")
        return 0
    if args.jobs != 1:
        return fail("--jobs is for humaneval: notebook tasks run one kernel at a time")
    try:
        model, description = kernel_model(args)
    except OciError as exc:
        return fail(str(exc))
    settings = kernel_settings(args, model=model)
    if settings.rounds < 0:
        return fail(f"--rounds must be 0 or more, not {settings.rounds}")
    candidates = f"-c{settings.candidates}" if settings.candidates > 1 else ""
    out = (
        args.out or Path("oci-eval") / f"notebook-{slug(description['name'])}-r{settings.rounds}{candidates}"
    )
    bar = tqdm(total=len(tasks), desc="notebook tasks", unit="task", file=sys.stderr)
    results = []
    started = time.perf_counter()
    try:
        for task in tasks:
            results.append(solve_task(task, settings))
            if task.kind == "plan":  # a multi-step request: as one %%oci (above) and as %%oci --plan
                results.append(solve_task(task, settings, plan=True))
            first = sum(r.solved_after[0] for r in results)
            bar.set_postfix_str(f"solved {first} → {sum(r.solved for r in results)} of {len(results)}")
            bar.update()
    except KeyboardInterrupt:
        print(f"\ninterrupted: the {len(results)} tasks finished before are saved", file=sys.stderr)
    finally:
        bar.close()
    duration = time.perf_counter() - started
    paths = write_notebook_outputs(out, results, settings, description, duration=duration)
    print(notebook_table(results, settings, description["name"]))
    print(
        f"\n{len(results)} tasks in {duration / 60:.1f} min · every round: {paths['json']} · "
        f"unsolved tasks' rounds: {paths['notebook']}"
    )
    return 0 if len({r.task.name for r in results}) == len(tasks) else 1
