"""`oci-magic eval ds1000`: DS-1000's problems through real `%%oci`, or (`--self-check`) which of them can
run here and how often the loop's checks stop their reference solutions."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from oci_magic.evaluation.arguments import fail, kernel_model, kernel_settings, slug

__all__ = ["run_ds1000"]


def run_ds1000(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from oci_magic.errors import OciError
    from oci_magic.evaluation.ds1000 import load_problems, select_problems, stratified_order
    from oci_magic.evaluation.ds1000_report import ds1000_table, self_check_table, write_ds1000_outputs
    from oci_magic.evaluation.ds1000_run import Unusable, sample_usable, self_check, solve_all

    try:
        problems = select_problems(load_problems(args.data), libs=args.libs, tasks=args.tasks)
    except (FileNotFoundError, ValueError) as exc:
        return fail(str(exc))
    if args.sample is not None and args.sample < 1:
        return fail(f"--sample must be 1 or more, not {args.sample}")
    if args.jobs < 1:
        return fail(f"--jobs must be at least 1, not {args.jobs}")
    if args.jobs > 1 and not args.endpoint and not args.self_check:
        return fail("--jobs above 1 needs --endpoint: a local model answers one request at a time")
    if args.rounds is not None and args.rounds < 0:
        return fail(f"--rounds must be 0 or more, not {args.rounds}")
    ordered = (
        stratified_order(problems, args.seed)[: args.limit]
        if args.limit
        else stratified_order(problems, args.seed)
    )
    skipped: dict[int, Unusable] = {}
    # Whether a problem can run here is its test program run three times in a process of its own, no model:
    # those checks run side by side, whatever --jobs says of the model's work.
    checkers = max(args.jobs, min(4, os.cpu_count() or 1))
    if args.sample is not None:
        bar = tqdm(desc="finding problems that can run here", unit="problem", file=sys.stderr)
        chosen = sample_usable(
            ordered,
            args.sample,
            jobs=checkers,
            on_skip=lambda p, why: (skipped.update({p.id: why}), bar.update()),
        )
        bar.close()
        if len(chosen) < args.sample:
            print(f"only {len(chosen)} of the problems chosen can run here", file=sys.stderr)
    else:
        chosen = ordered
    settings = kernel_settings(args)
    if args.self_check:
        bar = tqdm(total=len(chosen), desc="self-check", unit="problem", file=sys.stderr)
        report = self_check(
            chosen,
            settings,
            jobs=args.jobs,
            known_usable=args.sample is not None,
            progress=lambda p: bar.update(),
        )
        bar.close()
        report["problems"] += len(skipped)
        report["unusable"].update(skipped)
        print(self_check_table(report))
        return 0
    try:
        model, description = kernel_model(args)
    except OciError as exc:
        return fail(str(exc))
    settings = kernel_settings(args, model=model)
    if args.sample is None:  # the whole selection: those that cannot run here are named and left out
        bar = tqdm(desc="finding problems that can run here", unit="problem", file=sys.stderr)
        chosen = sample_usable(
            ordered, None, jobs=checkers, on_skip=lambda p, why: (skipped.update({p.id: why}), bar.update())
        )
        bar.close()
    for problem_id, why in sorted(skipped.items()):
        print(f"  problem {problem_id} cannot run here: {why}", file=sys.stderr)
    checks = ("" if settings.result_checks else "-nochecks") + ("-look" if settings.second_look else "")
    checks += f"-c{settings.candidates}" if settings.candidates > 1 else ""
    out = args.out or Path("oci-eval") / f"ds1000-{slug(description['name'])}-r{settings.rounds}{checks}"
    bar = tqdm(total=len(chosen), desc="DS-1000", unit="problem", file=sys.stderr)
    finished = []

    def on_result(result) -> None:
        finished.append(result)
        first = sum(r.solved_after[0] for r in finished)
        bar.set_postfix_str(f"solved {first} → {sum(r.solved for r in finished)} of {len(finished)}")
        bar.update()
        # Saved as each problem ends: a run killed or crashed after hours keeps what it measured.
        write_ds1000_outputs(out, finished, settings, description, duration=time.perf_counter() - started)

    started = time.perf_counter()
    try:
        solve_all(chosen, settings, jobs=args.jobs, on_result=on_result)
    except KeyboardInterrupt:
        print(f"\ninterrupted: the {len(finished)} problems finished before are saved", file=sys.stderr)
    finally:
        bar.close()
    duration = time.perf_counter() - started
    description["problems_skipped"] = {problem_id: str(why) for problem_id, why in skipped.items()}
    paths = write_ds1000_outputs(out, finished, settings, description, duration=duration)
    print(ds1000_table(finished, settings, description["name"]))
    print(
        f"\n{len(finished)} problems in {duration / 60:.1f} min · every round: {paths['json']} · "
        f"unsolved problems' rounds: {paths['notebook']}"
    )
    return 0 if len(finished) == len(chosen) else 1
