"""`%oci NAME ...`: the subcommands, one function each, listed in `SUBCOMMANDS` (the table that `%oci help`
shows and the magic dispatches through). Each reads its own words and raises `UsageError` with the fix."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from IPython.core.error import UsageError

from oci_magic.errors import OciError
from oci_magic.jupyter.manager import OciMagics
from oci_magic.jupyter.run_lock import one_run_at_a_time
from oci_magic.jupyter.sidebar import tell_the_sidebar
from oci_magic.jupyter.undo import held_line, take_back
from oci_magic.loop.prompts import fix_request
from oci_magic.loop.records import Run
from oci_magic.models import engine, warm
from oci_magic.models.resolve import models_table, resolve_model
from oci_magic.plan.records import Plan
from oci_magic.versions import package_versions
from oci_magic.views.describe import round_figures

__all__ = ["SUBCOMMANDS", "Subcommand", "subcommands_help", "Magic"]


class Magic(Protocol):
    """What a subcommand is handed: the `%oci` magic (`magics.OciCommands`)."""

    @property
    def manager(self) -> OciMagics:
        """The kernel's settings and state."""

    def parse_flags(self, words: list[str]) -> argparse.Namespace:
        """A call's flags, as `%%oci` takes them."""

    def answer(self, request: str, args: argparse.Namespace) -> Any:
        """Answer `request` through the loop, as `%%oci` does."""

    def usage(self) -> str:
        """The magic's help."""


@dataclass(frozen=True)
class Subcommand:
    """A `%oci NAME` subcommand: what it takes and does (its help line), and the function that does it,
    called with the magic (a `Magic`: its flags' parser, `answer`, and `.manager`, the kernel's OciMagics)
    and the words after the name."""

    name: str
    arguments: str
    summary: str
    handler: Callable[[Magic, list[str]], None]


def show_help(commands: Magic, words: list[str]) -> None:
    print(commands.usage())
    print(subcommands_help())


def show_status(commands: Magic, words: list[str]) -> None:
    oci = commands.manager
    if oci.backend is not None:
        print(f"backend: {oci.backend.name} (installed with oci_magic.set_backend)")
    elif oci.endpoint:
        try:
            _print_table(engine.choose(oci, oci.engine_settings()).info())
        except OciError as exc:
            print(f"endpoint: {oci.endpoint} — {exc}")
    else:
        from oci_magic.backends import llamacpp  # llama_cpp itself is not imported by this

        loaded = llamacpp.cached_backend()
        if loaded is not None:
            _print_table(loaded.info())
            if (source := engine.chosen_by(oci.engine_settings(), loaded.path)) is not None:
                print(f"chosen by: {source}")
        else:
            try:
                path, source = resolve_model(oci.model)
                print(f"model: {path} (from {source}), not loaded yet")
            except OciError as exc:
                print(f"model: none — {exc}")
        if (started := warm.current()) is not None:
            print(f"warm start: {started.describe()}")
    names = ("max_rounds", "temperature", "max_tokens", "exec_timeout", "notebook_context")
    print("settings: " + ", ".join(f"{name}={getattr(oci, name)}" for name in names))
    print(f"conversation: {oci.conversation.turns} user turns")
    last = oci.last_run
    print(f"last run: {last.summary() if last else 'none yet'}")
    print(held_line(oci))


def records_in_order(oci: OciMagics) -> list[Run | Plan]:
    """The runs and plans of this kernel, oldest first; a plan stands for the runs of its steps."""
    alone: list[Run | Plan] = [run for run in oci.runs if run.step is None]
    return sorted(alone + oci.plans, key=lambda record: record.started)


def show_history(commands: Magic, words: list[str]) -> None:
    records = records_in_order(commands.manager)
    if not records:
        print("no runs yet")
    for record in records:
        if isinstance(record, Plan):
            print(f"plan {record.id} · {record.summary()} · {record.request.splitlines()[0][:70]!r}")
            for step in record.steps:
                if not step.runs:
                    print(f"  step {step.index}: {step.status} · {step.title[:70]!r}")
                for run in step.runs:
                    print(f"  step {step.index} · run {run.id} · {run.summary()} · {step.title[:70]!r}")
                    _print_rounds(run, "    ")
            continue
        print(f"run {record.id} · {record.summary()} · {record.request.splitlines()[0][:70]!r}")
        _print_rounds(record, "  ")


def _print_rounds(run: Run, indent: str) -> None:
    for round_ in run.rounds:
        outcome = str(round_.error) if round_.error else round_.status
        print(f"{indent}round {round_.index}: {outcome} · {round_figures(round_)}")


def fix(commands: Magic, words: list[str]) -> None:
    """`%oci fix [N] [flags]`: repair the last cell that raised, or cell N, through the same loop."""
    oci = commands.manager
    number = int(words.pop(0)) if words and words[0].isdigit() else None
    try:
        args = commands.parse_flags(words)
    except UsageError as exc:
        raise UsageError(f"{exc}. Usage: %oci fix [N] [%%oci flags]") from None
    failed = oci.failed_cells
    if number is None:
        if not failed:
            raise UsageError(
                "no cell has raised an error since oci_magic was loaded: run the failing cell, "
                "then %oci fix (or %oci fix N for cell In[N])"
            )
        cell = failed[next(reversed(failed))]
    elif number in failed:
        cell = failed[number]
    else:
        history = oci.user_ns.get("In", [])
        if 0 < number < len(history):
            raise UsageError(f"cell In[{number}] ran without an error; %oci fix repairs cells that raised")
        raise UsageError(f"no cell In[{number}] in this kernel")
    label = f"cell In[{cell.execution_count}]"
    commands.answer(fix_request(cell.source, cell.error.traceback, label, limit=oci.feedback_chars), args)


SAVE_USAGE = "usage: %oci save PATH.ipynb [--all] [--force] (the last run, or --all runs of this kernel)"


def save(commands: Magic, words: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="%oci save", add_help=False, exit_on_error=False)
    parser.add_argument("path")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--force", "-f", action="store_true")
    try:
        args = parser.parse_args(words)
    except (argparse.ArgumentError, SystemExit):
        raise UsageError(SAVE_USAGE) from None
    path = Path(args.path).expanduser()
    if path.suffix != ".ipynb":
        raise UsageError(f"{path} does not end in .ipynb. {SAVE_USAGE}")
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; add --force to overwrite it, or choose another name")
    if not path.parent.is_dir():
        raise UsageError(f"no folder {path.parent} to save into")
    records = records_in_order(commands.manager)
    if not records:
        raise UsageError("no runs to save yet: run a %%oci cell first")
    chosen = records if args.all else records[-1:]
    try:
        from oci_magic.jupyter.transcript import save_runs  # nbformat: imported when a transcript is saved

        save_runs(chosen, path)
    except OSError as exc:
        raise UsageError(f"could not write {path}: {exc}") from None
    runs = [run for record in chosen for run in (record.runs if isinstance(record, Plan) else [record])]
    rounds = sum(len(run.rounds) for run in runs)
    plans = sum(isinstance(record, Plan) for record in chosen)
    plans_text = f"{plans} plan{'s' * (plans != 1)}: " if plans else ""
    runs_text = f"{plans_text}{len(runs)} run{'s' * (len(runs) != 1)} ({rounds} round{'s' * (rounds != 1)})"
    print(f"oci · saved {runs_text} to {path}")


def pull(commands: Magic, words: list[str]) -> None:
    """`%oci pull NAME`: download a model (progress bar in the notebook), then use it."""
    if len(words) != 1:
        raise UsageError("usage: %oci pull NAME, e.g. %oci pull oci-ds-6.7b (oci-magic models lists them)")
    from oci_magic.models.download import pull as download

    try:
        path = download(words[0], widget=commands.manager.view_kind() == "widget")
    except OciError as exc:
        raise UsageError(str(exc)) from None
    print(f"oci · {words[0]} is ready: {path}. Use it with %config OciMagics.model = {words[0]!r}")


def show_models(commands: Magic, words: list[str]) -> None:
    print(models_table())


def reset(commands: Magic, words: list[str]) -> None:
    commands.manager.conversation.reset()
    print("oci · conversation forgotten; the next %%oci starts fresh")


def show_version(commands: Magic, words: list[str]) -> None:
    print("\n".join(package_versions()))


def load_model(commands: Magic, words: list[str]) -> None:
    from oci_magic.jupyter.answer import load_backend

    oci = commands.manager
    try:
        with one_run_at_a_time():  # a run in another thread finishes with the model first
            if words:
                oci.model = words[0]
                oci.backend = None
            backend = load_backend(oci)
    except OciError as exc:
        raise UsageError(str(exc)) from None
    _print_table(backend.info())


def _run_number(words: list[str], usage: str) -> int | None:
    if not words:
        return None
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    raise UsageError(f"usage: {usage} (N: a run's number, as %oci history lists them)")


def undo(commands: Magic, words: list[str]) -> None:
    """`%oci undo [N]`: take back the last run (or run N, and every run after it first)."""
    _take_back(commands.manager, "undo", _run_number(words, "%oci undo [N]"))


def keep(commands: Magic, words: list[str]) -> None:
    """`%oci keep [N]`: keep the last run (or run N and those before it); free what undo holds for them."""
    _take_back(commands.manager, "keep", _run_number(words, "%oci keep [N]"))


def _take_back(oci: OciMagics, action: str, number: int | None) -> None:
    try:
        text = take_back(oci, action, number)
    except OciError as exc:
        raise UsageError(str(exc)) from None
    print(text)
    tell_the_sidebar(oci)


PLAN_USAGE = (
    "usage: %oci plan (the last plan and its steps) | %oci plan continue [%%oci flags] (run the step where "
    "it stopped again, its code as it was first, then the steps after it) | %oci plan retry [%%oci flags] "
    "(the model writes that step afresh)"
)


def plan(commands: Magic, words: list[str]) -> None:
    """`%oci plan [continue|retry] [flags]`: show the last plan, or go on with it from where it stopped."""
    from oci_magic.jupyter.plan import last_plan, plan_again
    from oci_magic.views.plan import plan_header, step_lines

    if not words:
        try:
            shown = last_plan(commands.manager)
        except OciError as exc:
            raise UsageError(str(exc)) from None
        print(plan_header(shown))
        print("\n".join(f"  {line}" for step in shown.steps for line in step_lines(step)))
        said = " ".join(text for text in (shown.message, shown.advice) if text)
        print(f"plan {shown.id} {shown.summary()}" + (f" — {said}" if said else ""))
        return
    how = words[0].lower()
    if how not in ("continue", "retry"):
        raise UsageError(f"unknown plan action {words[0]!r}. {PLAN_USAGE}")
    try:
        args = commands.parse_flags(words[1:])
    except UsageError as exc:
        raise UsageError(f"{exc}. {PLAN_USAGE}") from None
    try:
        plan_again(how, args, commands.manager)
    except OciError as exc:
        raise UsageError(str(exc)) from None


# In the order `%oci help` lists them.
SUBCOMMANDS: dict[str, Subcommand] = {
    sub.name: sub
    for sub in (
        Subcommand("help", "", "this text", show_help),
        Subcommand("status", "", "the model, the settings, the conversation and the last run", show_status),
        Subcommand("history", "", "every run of this kernel, round by round", show_history),
        Subcommand(
            "fix",
            "[N] [%%oci flags]",
            "repair the last cell that raised (or cell In[N]) and insert the fix",
            fix,
        ),
        Subcommand(
            "undo",
            "[N]",
            "take back the last run (or run N, and the runs after it): variables, cells; says what it cannot",
            undo,
        ),
        Subcommand(
            "keep", "[N]", "keep the last run (or run N and those before it): frees what undo holds", keep
        ),
        Subcommand(
            "plan",
            "[continue|retry] [%%oci flags]",
            "the last plan (%%oci --plan); continue: from the step that stopped it, its code run again "
            "first; retry: that step written afresh",
            plan,
        ),
        Subcommand(
            "save",
            "PATH.ipynb [--all] [--force]",
            "write the last run (--all: every run) as a notebook",
            save,
        ),
        Subcommand("pull", "NAME", "download a model (oci-ds-6.7b ...)", pull),
        Subcommand("models", "", "the models known, where each is, and which %%oci would use", show_models),
        Subcommand("reset", "", "forget the conversation: the next %%oci starts fresh", reset),
        Subcommand("version", "", "the versions of oci-magic, llama-cpp-python and the rest", show_version),
        Subcommand("model", "[NAME_OR_PATH]", "load the model (or this one) now and show it", load_model),
    )
}


def subcommands_help() -> str:
    rows = [(f"%oci {sub.name} {sub.arguments}".rstrip(), sub.summary) for sub in SUBCOMMANDS.values()]
    width = max(len(usage) for usage, _ in rows)
    return "Subcommands:\n" + "\n".join(f"  {usage:<{width}}  {summary}" for usage, summary in rows)


def _print_table(rows: dict[str, Any]) -> None:
    width = max(map(len, rows))
    for key, value in rows.items():
        print(f"{key:>{width}}: {value}")
