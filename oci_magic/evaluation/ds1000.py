"""DS-1000's problems (Lai et al. 2023: 1000 StackOverflow questions on pandas, numpy, matplotlib, scipy,
scikit-learn, PyTorch and TensorFlow, each with its own test program; CC BY-SA 4.0) as notebook situations.

A problem becomes what a user of `%%oci` would have in front of them:
- the kernel already holds the problem's inputs (its first test case) under the names the question uses,
  made by the code of the question's `A:` block, which runs as a cell before the request (`setup`);
- the request is the question's prose (the data it shows stays: people paste it), without that code block
  (it already ran), and where the answer goes: "Put the answer in `result`.", "Write the function `f(df)`
  ...", or for the plotting problems the comment that asks for the plot;
- the answer is judged by DS-1000's own test program (every test case, and its string tests) in a fresh,
  capped process: `judge`.

The data comes from the Hugging Face dataset `xlangai/DS-1000` (test.jsonl) through huggingface_hub's cache,
or from a local copy (.jsonl or .jsonl.gz).
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Problem", "Verdict", "load_problems", "select_problems", "stratified_order", "judge"]

REPO, FILE = "xlangai/DS-1000", "test.jsonl"
REVISION = "4416080ac5cb80bdf7576aefb8f9a0b4d5426a44"  # the release these problems were read from
LIBRARIES = ("Pandas", "Numpy", "Matplotlib", "Scipy", "Sklearn", "Pytorch", "Tensorflow")
IMPORTS = {"Pandas": "pandas", "Numpy": "numpy", "Matplotlib": "matplotlib", "Scipy": "scipy",
           "Sklearn": "sklearn", "Pytorch": "torch", "Tensorflow": "tensorflow"}  # fmt: skip

_EXEC_CONTEXT = re.compile(r'exec_context = r"""\n?(.*?)"""', re.S)
_ANSWER_LINE = re.compile(r"^\s*([\w\s,]+?)\s*=\s*\.\.\.\s*#\s*put solution in th(?:is|ese) variables?", re.I)
_DEF_HEADER = re.compile(r"^def\s+(\w+)\s*\((.*)\)\s*:\s*$")


@dataclass(frozen=True)
class Problem:
    id: int
    library: str
    perturbation: str
    prompt: str
    reference: str  # what DS-1000 inserts in its test program for the right answer
    code_context: str  # the test program: generate_test_case, exec_test, exec_context, test_execution

    @property
    def exec_context(self) -> str:
        match = _EXEC_CONTEXT.search(self.code_context)
        return match.group(1) if match else "[insert]"

    @property
    def function_start(self) -> str:
        """'def f(df):' (with the lines of its body the test writes before the answer, such as
        `threshold = 0.75`) when the answer is the rest of a function the test calls, else ''."""
        lines = self.exec_context.splitlines()
        at = next((i for i, line in enumerate(lines) if line.strip() == "[insert]"), 0)
        start = at - 1
        while start >= 0 and lines[start].startswith((" ", "\t")):
            start -= 1
        if start < 0 or not _DEF_HEADER.match(lines[start].strip()):
            return ""
        return "\n".join(lines[start:at])

    @property
    def function_header(self) -> str:
        return self.function_start.split("\n", 1)[0].strip()

    @property
    def setup(self) -> str:
        """The cell run before the request: the test program's code before the answer, with `test_input`
        bound to the first test case (its function header left out, the lines binding its arguments kept)."""
        lines = self.exec_context.splitlines()
        at = next((i for i, line in enumerate(lines) if line.strip() == "[insert]"), len(lines))
        before, after = lines[:at], lines[at + 1 :]
        if self.function_start:
            before = before[: len(before) - len(self.function_start.splitlines())]
        bindings = [line for line in after if "test_input" in line and not line.startswith((" ", "\t"))]
        body = "\n".join([*before, *bindings]).strip()
        return (
            "def _ds1000_first_input():\n"
            "    test_program = {}\n"
            f"    exec(compile({self.code_context!r}, '<DS-1000 test program>', 'exec'), test_program)\n"
            "    return test_program['generate_test_case'](1)[0]\n"
            "test_input = _ds1000_first_input()\n"
            "del _ds1000_first_input\n"
            f"{body}\n"
            "del test_input\n"
        )

    @property
    def request(self) -> str:
        """The question as typed into `%%oci`: its prose, then where the answer goes."""
        prompt = self.prompt.strip()
        if not prompt.startswith("Problem:"):  # the plotting problems: code that ends in comments asking
            comments = []
            for line in reversed(prompt.splitlines()):
                if "SOLUTION START" in line:
                    continue
                if not line.lstrip().startswith("#"):
                    break
                comments.append(line.lstrip()[1:].strip())
            return "\n".join(reversed(comments)) or prompt
        prose, _, code = prompt[len("Problem:") :].rpartition("\nA:")
        prose = prose.strip()
        if header := self.function_header:
            name, arguments = _DEF_HEADER.match(header).groups()
            asked = f"{prose}\n\nWrite the function `{name}({arguments})`, which returns the answer."
            if "\n" in (start := self.function_start):
                asked += f" It starts with:\n```python\n{start}\n```"
            return asked
        where = code.rpartition("</code>")[2].replace("BEGIN SOLUTION", "").replace("<code>", "").strip()
        return f"{prose}\n\n{_where_the_answer_goes(where)}".strip()

    def test_program(self, code: str) -> str:
        """DS-1000's test program run on the cell `code` (its own protocol: test_execution, then
        test_string where the problem has one)."""
        context = self.code_context
        if start := self.function_start:  # the cell defines the function: it replaces its start
            context = context.replace(f"{start}\n[insert]", "[insert]", 1)
        lines = [context, "", f"solution = {code!r}", "test_execution(solution)"]
        if "def test_string(" in self.code_context:
            lines.append("test_string(solution)")
        return "\n".join(lines) + "\n"

    @property
    def reference_cell(self) -> str:
        """The reference solution as the cell a user would see: a function's body under its header."""
        if start := self.function_start:
            return f"{start}\n{self.reference.rstrip()}\n"
        return self.reference

    @property
    def stratum(self) -> tuple[str, str]:
        return self.library, self.perturbation


def _where_the_answer_goes(text: str) -> str:
    if (match := _ANSWER_LINE.match(text)) is not None:
        names = [name.strip() for name in match.group(1).split(",") if name.strip()]
        shown = " and ".join(f"`{name}`" for name in names)
        return f"Put the answer in {shown}."
    return text


def _read(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _download() -> Path:
    """test.jsonl through huggingface_hub's cache (offline: what the cache holds)."""
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(REPO, FILE, repo_type="dataset", revision=REVISION))
    except Exception as exc:
        raise FileNotFoundError(
            f"cannot get DS-1000 from the Hugging Face dataset {REPO} ({type(exc).__name__}: {exc}); "
            "connect once, or pass a local copy of its test.jsonl with --data PATH"
        ) from exc


def load_problems(data: Path | None = None) -> list[Problem]:
    """Every problem of DS-1000, from `data` (test.jsonl, or .jsonl.gz) or from the Hugging Face dataset."""
    path = Path(data) if data is not None else _download()
    if not path.is_file():
        raise FileNotFoundError(f"no DS-1000 file at {path}: give DS-1000's test.jsonl (or .jsonl.gz)")
    problems = []
    for row in _read(path):
        meta = row["metadata"]
        problems.append(
            Problem(
                id=int(meta["problem_id"]),
                library=meta["library"],
                perturbation=meta["perturbation_type"],
                prompt=row["prompt"],
                reference=row["reference_code"],
                code_context=row["code_context"],
            )
        )
    return problems


def select_problems(problems: Sequence[Problem], *, libs: str = "", tasks: str = "") -> list[Problem]:
    """The problems of `libs` ("pandas,numpy"; default: every library) and of `tasks` (ids and ranges,
    "0-9,466"). ValueError naming what exists for an unknown one."""
    chosen = list(problems)
    if libs.strip():
        known = {library.lower(): library for library in LIBRARIES}
        wanted = set()
        for name in (piece.strip().lower() for piece in libs.split(",") if piece.strip()):
            if name not in known:
                raise ValueError(f"no DS-1000 library {name!r}; they are: {', '.join(known)}")
            wanted.add(known[name])
        chosen = [problem for problem in chosen if problem.library in wanted]
    if tasks.strip():
        ids: list[int] = []
        for piece in (p.strip() for p in tasks.split(",") if p.strip()):
            low, _, high = piece.partition("-")
            if not (low.isdigit() and (high.isdigit() or not high)):
                raise ValueError(f"--tasks takes problem ids and ranges such as 0-9,466, not {piece!r}")
            ids += range(int(low), int(high or low) + 1)
        by_id = {problem.id: problem for problem in chosen}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ValueError(f"no such DS-1000 problem (in the libraries chosen): {unknown[:5]}")
        chosen = [by_id[i] for i in dict.fromkeys(ids)]
    return chosen


def stratified_order(problems: Sequence[Problem], seed: int) -> list[Problem]:
    """The problems in an order whose every prefix is a stratified sample (by library and perturbation):
    each stratum shuffled with `seed`, then drawn from in turn, the stratum furthest below its share first.
    Taking the first N usable problems of this order gives a seeded sample of N, the same on every run."""
    strata: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for problem in sorted(problems, key=lambda p: p.id):
        strata[problem.stratum].append(problem)
    rng = random.Random(seed)
    for key in sorted(strata):
        rng.shuffle(strata[key])
    total, taken = len(problems), dict.fromkeys(strata, 0)
    order = []
    while len(order) < total:
        # The stratum whose share of what is drawn so far is furthest below its share of the whole.
        key = min(
            (key for key in sorted(strata) if taken[key] < len(strata[key])),
            key=lambda key: (taken[key] + 1) / len(strata[key]),
        )
        order.append(strata[key][taken[key]])
        taken[key] += 1
    return order


@dataclass
class Verdict:
    passed: bool
    reason: str = ""  # why not: the test's error, or what stopped the program


def judge(problem: Problem, code: str | None, *, timeout: float = 120.0, memory_mb: int = 4096) -> Verdict:
    """DS-1000's own test program on the cell `code`, in a fresh process with a time limit and a memory
    cap."""
    from oci_magic.executors.subprocess import SubprocessExecutor

    executor = SubprocessExecutor(memory_mb=memory_mb, output_limit=4000)
    result = executor.run_parts([("<DS-1000 test>", problem.test_program(code or ""))], timeout=timeout)
    if result.timed_out:
        return Verdict(False, f"the test program ran over {timeout:.0f} s")
    if result.error is not None:
        return Verdict(False, f"{result.error.type}: {result.error.message}"[:300])
    return Verdict(True)


def judged_once(
    problem: Problem, **options
) -> Callable[[str | None], Verdict]:  # the same code is judged once per problem
    seen: dict[str | None, Verdict] = {}

    def verdict(code: str | None) -> Verdict:
        if code not in seen:
            seen[code] = judge(problem, code, **options)
        return seen[code]

    return verdict
