"""`oci-magic eval BENCHMARK`: benchmarks of the `%%oci` loop, from the command line.

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
oci-magic eval completion --sample 60          # suggestions replayed inside DS-1000's reference solutions
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from oci_magic.backends.speculation import MODES as SPECULATION_MODES

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    # fmt: off
    add("benchmark", choices=["humaneval", "notebook", "ds1000", "undo", "safety", "completion"],
        help="humaneval: "
        "HumanEval's 164 functions; notebook: realistic notebook requests (files, merges, dates, "
        "cleaning, plots, follow-ups), each through %%%%oci in a fresh kernel with a hidden check; "
        "ds1000: DS-1000's StackOverflow problems, each through %%%%oci in a fresh kernel holding its "
        "inputs, judged by its own tests; undo: DS-1000's reference solutions run and undone, no "
        "model (does every variable come back?); safety: how often ask_before='risky' asks, no model "
        "(others' data work and a corpus of destructive snippets); completion: suggestions as you type "
        "replayed inside the lines of DS-1000's reference solutions, naive and with the cells above")
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


def main(args: argparse.Namespace) -> int:
    if args.benchmark == "safety":
        from oci_magic.evaluation.safety import main as safety_main

        return safety_main(args.out or Path("oci-eval") / "safety", data=args.data)
    if args.benchmark == "undo":
        from oci_magic.evaluation.undo_ds1000 import main as undo_main

        return undo_main(args.out or Path("oci-eval") / "undo-ds1000", data=args.data)
    if args.benchmark == "completion":
        from oci_magic.evaluation.completion import main as completion_main

        return completion_main(args)
    if args.benchmark == "notebook":
        from oci_magic.evaluation.notebook_command import run_notebook

        return run_notebook(args)
    if args.benchmark == "ds1000":
        from oci_magic.evaluation.ds1000_command import run_ds1000

        return run_ds1000(args)
    from oci_magic.evaluation.humaneval_command import run_humaneval

    return run_humaneval(args)


def run_cli(argv: list[str]) -> int:  # `python -m oci_magic.evaluation.command humaneval ...`
    parser = argparse.ArgumentParser(prog="oci-magic eval", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:]))
