"""`%%oci` and `%oci`: parse flags, snapshot settings, start a run, hand its events to the views."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Enum, Float, Int, TraitError, Unicode, Union, validate

from oci_magic.backends.chat_formats import FORMAT_NAMES
from oci_magic.backends.speculation import MODES as SPECULATION_MODES
from oci_magic.errors import OciError, RunInProgressError
from oci_magic.executors.kernel import KernelExecutor
from oci_magic.jupyter import session
from oci_magic.jupyter.bridge import BridgeView
from oci_magic.jupyter.cells import CELL_MODES, cells_for
from oci_magic.jupyter.protocol import kernel_message, run_info
from oci_magic.loop import records
from oci_magic.loop.prompts import SYSTEM_PROMPT, fix_request
from oci_magic.loop.run import LoopSettings, run_request
from oci_magic.models import engine
from oci_magic.models.resolve import models_table, resolve_model
from oci_magic.notebook.peeks import request_peeks
from oci_magic.notebook.summary import namespace_summary
from oci_magic.versions import package_versions
from oci_magic.views import View
from oci_magic.views.describe import round_figures
from oci_magic.views.text import QuietView, TextView

__all__ = ["OciMagics"]


@dataclass(frozen=True)
class Subcommand:
    """A `%oci NAME` subcommand: what it takes and does (its help line), and the method that does it."""

    name: str
    arguments: str
    summary: str
    method: str


# In the order `%oci help` lists them; filled by @subcommand on OciMagics' methods.
SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str, arguments: str, summary: str):
    """Register an OciMagics method as `%oci NAME`; it is called with the words after the name."""

    def register(method):
        SUBCOMMANDS[name] = Subcommand(name, arguments, summary, method.__name__)
        return method

    return register


def subcommands_help() -> str:
    rows = [(f"%oci {sub.name} {sub.arguments}".rstrip(), sub.summary) for sub in SUBCOMMANDS.values()]
    width = max(len(usage) for usage, _ in rows)
    return "Subcommands:\n" + "\n".join(f"  {usage:<{width}}  {summary}" for usage, summary in rows)


# Settings the JupyterLab extension edits (through its settings registry).
FRONTEND_SETTINGS = ("model", "max_rounds", "temperature")

_KIND_NAMES = {int: "a whole number", float: "a number"}


def _at_least(kind, minimum):
    """An argparse type: a number of `kind`, no smaller than `minimum`."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {_KIND_NAMES[kind]}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {text}")
        return value

    return parse


@magics_class
class OciMagics(Magics):
    """OpenCodeInterpreter in the notebook. Settings: `%config OciMagics.<name> = value`."""

    model = Unicode(
        "",
        help="A model name (oci-ds-6.7b, qwen-coder-1.5b, qwen-coder-0.5b, 'small' for Gemma 3 270M, "
        "hf:owner/repo/file.gguf) or a GGUF file. Empty: $OCI_MAGIC_MODEL, then a downloaded "
        "OpenCodeInterpreter model, then the best model installed from PyPI (qwen-coder-1.5b first).",
    ).tag(config=True)
    n_ctx = Int(4096, help="Context window in tokens (prompt + reply).").tag(config=True)
    n_threads = Int(0, help="CPU threads for llama.cpp; 0 picks one per core.").tag(config=True)
    n_gpu_layers = Union(
        [Enum(["auto"]), Int()],
        default_value="auto",
        help="Layers to offload to the GPU: 'auto' (every layer when llama.cpp was built with a GPU "
        "backend, none otherwise), a number, or 0 for none.",
    ).tag(config=True)
    chat_format = Enum(
        FORMAT_NAMES,
        "auto",
        help="Prompt format: 'auto' uses the GGUF's chat template, DeepSeek-Coder for "
        "OpenCodeInterpreter-DS files without one, else a completion-style prompt for base models.",
    ).tag(config=True)
    cpu_repack = Enum(
        ("auto", "on", "off"),
        "auto",
        help="llama.cpp weight repacking; 'auto' turns it off where llama.cpp uses AMX, whose repacked "
        "quantized weights crash on the first token.",
    ).tag(config=True)
    speculation = Enum(
        SPECULATION_MODES,
        "auto",
        help="Speculative decoding of greedy replies: 'ngram' drafts tokens from the conversation (a "
        "repair round copies most of its code) and checks them in one batch; 'auto' is 'ngram'; 'off' "
        "decodes one token at a time.",
    ).tag(config=True)
    temperature = Float(0.0, help="Sampling temperature; 0 is greedy.").tag(config=True)
    max_tokens = Int(1024, help="Most tokens the model writes in one round.").tag(config=True)
    max_rounds = Int(3, help="Most rounds of generate-run-repair in one %%oci call.").tag(config=True)
    exec_timeout = Float(
        120.0, help="Seconds one execution of generated code may run; 0 means no limit."
    ).tag(config=True)
    notebook_context = Bool(
        True,
        help="Tell the model the notebook's variables (names, types, shapes, columns, small values) and "
        "the first lines of the files a request names.",
    ).tag(config=True)
    context_chars = Int(1500, help="Most characters of that variable summary, and of the file peeks.").tag(
        config=True
    )
    feedback_chars = Int(
        2000, help="Most characters of output and traceback fed back to the model a round."
    ).tag(config=True)
    state_feedback = Bool(
        True,
        help="After an error, tell the model what the code saw at the failing line (values, columns, the "
        "keys or names that do exist, a peek of the file it read), not only the traceback.",
    ).tag(config=True)
    retry_temperature = Float(
        0.7,
        help="When the model repeats code that already failed, it is not run again; the model is asked "
        "afresh (the request and what went wrong, without the failed code), then, if it repeats again, "
        "sampling at this temperature (seeded: runs stay repeatable).",
    ).tag(config=True)
    result_checks = Bool(
        True,
        help="Code that raises nothing passes only when it left what the request asks for: the names it "
        "asks for exist, no check printed 'not found' instead of an answer, no asked result is None or NaN. "
        "Turn off when your requests name things the code should not define.",
    ).tag(config=True)
    second_look = Bool(
        False,
        help="After a round that passed, show the model what its code printed and defined and let it "
        "confirm (DONE) or correct it, once a run. Off by default: on DS-1000 it did not pay (README).",
    ).tag(config=True)
    cells = Enum(
        CELL_MODES,
        "final",
        help="Cells a run leaves below it: 'final' (the last round's code), 'all' (every round's, "
        "failed ones marked) or 'none'.",
    ).tag(config=True)
    view = Enum(
        ("auto", "widget", "text", "quiet"),
        "auto",
        help="How a run is shown: 'widget' (ipywidgets, one tab per round), 'text' (printed as it "
        "happens), 'quiet' (only the outcome); 'auto' is the widget in a Jupyter kernel, else text.",
    ).tag(config=True)
    system_prompt = Unicode(
        SYSTEM_PROMPT, help="What the model is told about its job before the first request."
    ).tag(config=True)
    verbose = Bool(False, help="Show llama.cpp's own log.").tag(config=True)
    check_memory = Bool(
        True,
        help="Before loading, estimate what the model and its KV cache need and refuse if it will not fit.",
    ).tag(config=True)
    endpoint = Unicode(
        "",
        help="An OpenAI-compatible server (llama.cpp, llama-cpp-python, vLLM, Ollama), e.g. "
        "'http://gpu-box:8000/v1': the model runs there instead of in this kernel. Empty: local llama.cpp.",
    ).tag(config=True)
    endpoint_model = Unicode(
        "", help="The server's model to use (--model overrides it); empty: the first one it lists."
    ).tag(config=True)
    confirm = Bool(
        False,
        help="Show each piece of generated code and ask before running it (y: run, n: stop, a: run the "
        "rest of this call's rounds without asking). Recommended with unfamiliar data or systems.",
    ).tag(config=True)
    api_key_env = Unicode(
        "OCI_MAGIC_API_KEY",
        help="Name of the environment variable holding the server's API key (the key itself is never "
        "stored in a setting, printed or saved).",
    ).tag(config=True)

    @validate("max_rounds", "max_tokens", "n_ctx")
    def _at_least_one(self, proposal):
        if proposal["value"] < 1:
            raise TraitError(f"{proposal['trait'].name} must be 1 or more, got {proposal['value']}")
        return proposal["value"]

    @validate(
        "temperature", "exec_timeout", "n_threads", "context_chars", "feedback_chars", "retry_temperature"
    )
    def _not_negative(self, proposal):
        if proposal["value"] < 0:
            raise TraitError(f"{proposal['trait'].name} must be 0 or more, got {proposal['value']}")
        return proposal["value"]

    # -- the magic -------------------------------------------------------------------------------------
    @magic_arguments(name="%oci")  # the flags belong to the cell magic: usage reads %%oci
    @argument("--rounds", type=_at_least(int, 1), metavar="N", help="most refinement rounds (default 3)")
    @argument("--model", metavar="NAME_OR_PATH", help="GGUF file to use for this call")
    @argument("--temperature", type=_at_least(float, 0), metavar="T", help="0 is greedy (default)")
    @argument("--max-tokens", type=_at_least(int, 1), metavar="N", help="most tokens per reply")
    @argument("--timeout", type=_at_least(float, 0), metavar="S", help="limit for one execution (0: none)")
    @argument("--no-run", action="store_true", help="generate and insert the code, never run it")
    @argument("--confirm", action="store_true", help="show each piece of code and ask before running it")
    @argument("--new", action="store_true", help="start a fresh conversation")
    @argument(
        "--check",
        metavar="CODE",
        help="a line of Python run after the code, e.g. "
        "'assert f(10) == 55'; its failure is fed back like an error",
    )
    @argument("--no-context", action="store_true", help="do not tell the model the notebook's variables")
    @argument("--cells", choices=CELL_MODES, help="cells to insert: final (default), all rounds, or none")
    @line_cell_magic
    def oci(self, line: str, cell: str | None = None):
        """Write, run and repair Python with a local code model.

        %%oci [flags]
        <what you want, in plain words>

            The model writes Python, it runs in this kernel, errors go back to the model and the
            code is repaired, up to --rounds times. The final code is inserted as a cell below.
            Follow-up %%oci cells continue the conversation. The last run is `_oci`.

        %oci NAME: status | history | fix | save | pull | models | reset | version | model;
        %oci help describes each.
        """
        if cell is None:
            return self._subcommand(line)
        return self._run_cell(line, cell)

    def _run_cell(self, line: str, cell: str) -> None:
        try:
            # shlex (POSIX rules) so that --check "assert f(1) == 2" loses its quotes.
            args = self.oci.parser.parse_args(shlex.split(line))
        except ValueError as exc:  # unbalanced quotes
            raise UsageError(f"cannot read the flags: {exc}") from None
        except UsageError as exc:
            raise UsageError(f"{exc}. See %oci help for the flags.") from None
        request = cell.strip()
        if not request:
            raise UsageError("write your request on the lines below %%oci, e.g.\n%%oci\nplot y = x**2")
        self._run(request, args)

    def _run(self, request: str, args: argparse.Namespace) -> None:
        """Answer `request` through the loop, one run at a time in this kernel."""
        with _one_run_at_a_time():
            self._run_alone(request, args)

    def _run_alone(self, request: str, args: argparse.Namespace) -> None:
        """Answer `request` through the loop, shown by the chosen view, and leave its cells below."""
        state = session.current()
        choice = self._model_choice(args.model)  # before any view: a bad model name is a plain error
        view_kind = self._view_kind()
        # The widget shows what the code displays in the round's tab; other views leave it in the cell.
        executor = KernelExecutor(self.shell, show_outputs=view_kind != "widget")
        view = _make_view(view_kind, request, executor)
        try:
            backend = self._load(choice, view)
        except KeyboardInterrupt:
            # Nothing ran and nothing is lost; the record says so and the next %%oci loads again.
            run = records.Run(request=request, status=records.INTERRUPTED)
            run.message = "interrupted while loading the model; nothing ran. Run the cell again to load it"
            run.model, run.duration = choice.name, 0.0
            state.runs.append(run)
            self.shell.user_ns["_oci"] = run
            print(f"oci · {run.message}")
            return
        state.conversation.use_system_prompt(self.system_prompt)
        if args.new:
            state.conversation.reset()
        settings = LoopSettings(
            max_rounds=self.max_rounds if args.rounds is None else args.rounds,
            temperature=self.temperature if args.temperature is None else args.temperature,
            max_tokens=self.max_tokens if args.max_tokens is None else args.max_tokens,
            exec_timeout=(self.exec_timeout if args.timeout is None else args.timeout) or None,
            execute=not args.no_run,
            check=args.check.strip() if args.check else None,
            feedback_chars=self.feedback_chars,
            state_feedback=self.state_feedback,
            retry_temperature=self.retry_temperature,
            result_checks=self.result_checks,
            second_look=self.second_look,
        )
        context = files = ""
        if self.notebook_context and not args.no_context:
            context = namespace_summary(self.shell.user_ns, limit=self.context_chars)
            files = request_peeks(request, Path.cwd(), limit=self.context_chars)
        cells = args.cells or self.cells
        listeners: tuple[View, ...] = (view,)
        if state.bridge.connected:  # the JupyterLab extension inserts the cells, live
            listeners += (BridgeView(state.bridge, _parent_msg_id(self.shell), cells),)
        run = run_request(
            request,
            backend=backend,
            executor=executor,
            conversation=state.conversation,
            settings=settings,
            context=context,
            files=files,
            listeners=listeners,
            approve=self._approver(view_kind) if args.confirm or self.confirm else None,
        )
        state.runs.append(run)
        self.shell.user_ns["_oci"] = run
        if state.bridge.connected:  # the sidebar's model line (loaded now) and runs
            state.bridge.send(self.state_message())
        if not state.bridge.connected:
            self._insert_cells_without_extension(run, cells)

    def _insert_cells_without_extension(self, run: records.Run, mode: str) -> None:
        new_cells = cells_for(run, mode)
        if not new_cells:
            return
        # Without the JupyterLab extension the only way in is set_next_input, which keeps one cell.
        self.shell.set_next_input(new_cells[-1].source, replace=False)
        if len(new_cells) > 1:
            print(
                f"oci · --cells all inserts every round's cell with the JupyterLab extension; "
                f"without it, only the last one ({len(new_cells)} rounds are in _oci.rounds)"
            )

    def _approver(self, view_kind: str):
        """--confirm: ask before each piece of code runs, through input() (in a Jupyter kernel an input
        request the frontend answers: JupyterLab, Notebook and VS Code show a text box)."""
        run_all = False

        def approve(round_: records.Round) -> bool:
            nonlocal run_all
            if run_all:
                return True
            if view_kind != "widget":  # the widget shows the code; the text views stream the whole reply
                print(f"oci · the code of round {round_.index}:\n{round_.code}")
            question = (
                f"oci · run the code of round {round_.index}? [y]es / [n]o / [a]ll rounds of this call: "
            )
            while True:
                try:
                    answer = input(question).strip().lower()
                except StdinNotImplementedError:
                    raise OciError(
                        "--confirm asks before running code, and this frontend cannot answer questions "
                        "(input()); the code was not run. Run it from JupyterLab, Notebook or VS Code, or "
                        "drop --confirm (%config OciMagics.confirm = False)"
                    ) from None
                except EOFError:
                    return False
                if answer in ("y", "yes", "a", "all"):
                    run_all = answer in ("a", "all")
                    return True
                if answer in ("n", "no", ""):
                    return False
                question = "oci · please answer y (run it), n (do not run it) or a (run every round): "

        return approve

    def _view_kind(self) -> str:
        if self.view != "auto":
            return self.view
        # A Jupyter kernel has a frontend that may draw widgets; terminal IPython has none.
        if getattr(self.shell, "kernel", None) is None:
            return "text"
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            return "text"
        return "widget"

    def _engine_settings(self) -> engine.EngineSettings:
        return engine.EngineSettings(
            model=self.model,
            endpoint=self.endpoint,
            endpoint_model=self.endpoint_model,
            api_key_env=self.api_key_env,
            check_memory=self.check_memory,
            load={name: getattr(self, name) for name in engine.LOAD_SETTINGS},
            speculation=self.speculation,
        )

    def _model_choice(self, model: str | None) -> Any:
        """The engine that will answer this call (engine.choose), its errors as IPython shows a magic's."""
        try:
            return engine.choose(session.current(), self._engine_settings(), model)
        except OciError as exc:
            raise UsageError(str(exc)) from None

    def _load(self, choice: Any, view: View) -> Any:
        try:
            return engine.load(choice, view, check_memory=self.check_memory)
        except OciError as exc:
            raise UsageError(str(exc)) from None

    def _backend(self, model: str | None):
        return self._load(self._model_choice(model), TextView())

    # -- the JupyterLab extension ---------------------------------------------------------------------
    def connect_bridge(self) -> None:
        """Open the comm to the JupyterLab extension and answer what it asks (it asks when the kernel is
        idle: a busy kernel reads no comm messages)."""
        bridge = session.current().bridge
        bridge.handlers.update(
            {
                "hello": lambda data: bridge.send(self.state_message()),
                "state": lambda data: bridge.send(self.state_message()),
                "settings": self._settings_from_frontend,
                "reset": lambda data: (
                    session.current().conversation.reset(),
                    bridge.send(self.state_message()),
                ),
            }
        )
        bridge.open()

    def state_message(self) -> dict[str, Any]:
        """What the sidebar shows: the model, the settings it edits, this kernel's runs."""
        state = session.current()
        return kernel_message(
            "state",
            model=engine.describe(session.current(), self._engine_settings()),
            settings={name: getattr(self, name) for name in FRONTEND_SETTINGS},
            runs=[run_info(run) for run in state.runs],
            conversation_turns=state.conversation.turns,
        )

    def _settings_from_frontend(self, data: dict[str, Any]) -> None:
        bridge = session.current().bridge
        for name in FRONTEND_SETTINGS:
            if name in data and data[name] != getattr(self, name):
                try:
                    setattr(self, name, data[name])
                except TraitError as exc:
                    bridge.send(kernel_message("error", message=f"{name}: {exc}"))
        bridge.send(self.state_message())

    # -- %oci subcommands ------------------------------------------------------------------------------
    def _subcommand(self, line: str) -> None:
        words = shlex.split(line)
        if not words:
            words = ["help"]
        name, rest = words[0].lower(), words[1:]
        if name not in SUBCOMMANDS:
            raise UsageError(
                f"unknown subcommand {words[0]!r}; use one of: {', '.join(SUBCOMMANDS)}. "
                f"To ask for code, put the request in a cell under %%oci."
            )
        return getattr(self, SUBCOMMANDS[name].method)(rest)

    @subcommand("help", "", "this text")
    def _cmd_help(self, rest: list[str]) -> None:
        print(self.oci.__doc__)
        print(subcommands_help())

    @subcommand("status", "", "the model, the settings, the conversation and the last run")
    def _cmd_status(self, rest: list[str]) -> None:
        state = session.current()
        if state.backend is not None:
            print(f"backend: {state.backend.name} (installed with oci_magic.set_backend)")
        elif self.endpoint:
            try:
                _print_table(self._model_choice(None).info())
            except UsageError as exc:
                print(f"endpoint: {self.endpoint} — {exc}")
        else:
            from oci_magic.backends import llamacpp

            loaded = llamacpp.cached_backend()
            if loaded is not None:
                _print_table(loaded.info())
                if (source := engine.chosen_by(self._engine_settings(), loaded.path)) is not None:
                    print(f"chosen by: {source}")
            else:
                try:
                    path, source = resolve_model(self.model)
                    print(f"model: {path} (from {source}), not loaded yet")
                except OciError as exc:
                    print(f"model: none — {exc}")
        settings = {
            name: getattr(self, name)
            for name in ("max_rounds", "temperature", "max_tokens", "exec_timeout", "notebook_context")
        }
        print("settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
        print(f"conversation: {state.conversation.turns} user turns")
        last = state.last_run
        print(f"last run: {last.summary() if last else 'none yet'}")

    @subcommand("history", "", "every run of this kernel, round by round")
    def _cmd_history(self, rest: list[str]) -> None:
        runs = session.current().runs
        if not runs:
            print("no runs yet")
        for run in runs:
            print(f"run {run.id} · {run.summary()} · {run.request.splitlines()[0][:70]!r}")
            for round_ in run.rounds:
                outcome = str(round_.error) if round_.error else round_.status
                print(f"  round {round_.index}: {outcome} · {round_figures(round_)}")

    @subcommand(
        "fix", "[N] [%%oci flags]", "repair the last cell that raised (or cell In[N]) and insert the fix"
    )
    def _cmd_fix(self, rest: list[str]) -> None:
        """`%oci fix [N] [flags]`: repair the last cell that raised, or cell N, through the same loop."""
        number = int(rest.pop(0)) if rest and rest[0].isdigit() else None
        try:
            args = self.oci.parser.parse_args(rest)
        except UsageError as exc:
            raise UsageError(f"{exc}. Usage: %oci fix [N] [%%oci flags]") from None
        failed = session.current().failed_cells
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
            history = self.shell.user_ns.get("In", [])
            if 0 < number < len(history):
                raise UsageError(
                    f"cell In[{number}] ran without an error; %oci fix repairs cells that raised"
                )
            raise UsageError(f"no cell In[{number}] in this kernel")
        label = f"cell In[{cell.execution_count}]"
        self._run(fix_request(cell.source, cell.error.traceback, label, limit=self.feedback_chars), args)

    @subcommand("save", "PATH.ipynb [--all] [--force]", "write the last run (--all: every run) as a notebook")
    def _cmd_save(self, rest: list[str]) -> None:
        parser = argparse.ArgumentParser(prog="%oci save", add_help=False, exit_on_error=False)
        parser.add_argument("path")
        parser.add_argument("--all", action="store_true")
        parser.add_argument("--force", "-f", action="store_true")
        try:
            args = parser.parse_args(rest)
        except (argparse.ArgumentError, SystemExit):
            raise UsageError(SAVE_USAGE) from None
        path = Path(args.path).expanduser()
        if path.suffix != ".ipynb":
            raise UsageError(f"{path} does not end in .ipynb. {SAVE_USAGE}")
        if path.exists() and not args.force:
            raise UsageError(f"{path} exists; add --force to overwrite it, or choose another name")
        if not path.parent.is_dir():
            raise UsageError(f"no folder {path.parent} to save into")
        runs = session.current().runs
        if not runs:
            raise UsageError("no runs to save yet: run a %%oci cell first")
        chosen = runs if args.all else runs[-1:]
        try:
            from oci_magic.jupyter.transcript import (
                save_runs,  # nbformat: imported when a transcript is saved
            )

            save_runs(chosen, path)
        except OSError as exc:
            raise UsageError(f"could not write {path}: {exc}") from None
        rounds = sum(len(run.rounds) for run in chosen)
        runs_text = f"{len(chosen)} run{'s' * (len(chosen) != 1)} ({rounds} round{'s' * (rounds != 1)})"
        print(f"oci · saved {runs_text} to {path}")

    @subcommand("pull", "NAME", "download a model (oci-ds-6.7b ...)")
    def _cmd_pull(self, rest: list[str]) -> None:
        """`%oci pull NAME`: download a model (progress bar in the notebook), then use it."""
        if len(rest) != 1:
            raise UsageError(
                "usage: %oci pull NAME, e.g. %oci pull oci-ds-6.7b (oci-magic models lists them)"
            )
        from oci_magic.models.download import pull

        try:
            path = pull(rest[0], widget=self._view_kind() == "widget")
        except OciError as exc:
            raise UsageError(str(exc)) from None
        print(f"oci · {rest[0]} is ready: {path}. Use it with %config OciMagics.model = {rest[0]!r}")

    @subcommand("models", "", "the models known, where each is, and which %%oci would use")
    def _cmd_models(self, rest: list[str]) -> None:
        print(models_table())

    @subcommand("reset", "", "forget the conversation: the next %%oci starts fresh")
    def _cmd_reset(self, rest: list[str]) -> None:
        session.current().conversation.reset()
        print("oci · conversation forgotten; the next %%oci starts fresh")

    @subcommand("version", "", "the versions of oci-magic, llama-cpp-python and the rest")
    def _cmd_version(self, rest: list[str]) -> None:
        print("\n".join(package_versions()))

    @subcommand("model", "[NAME_OR_PATH]", "load the model (or this one) now and show it")
    def _cmd_model(self, rest: list[str]) -> None:
        with _one_run_at_a_time():  # a run in another thread finishes with the model first
            if rest:
                self.model = rest[0]
                session.current().backend = None
            backend = self._backend(None)
        _print_table(backend.info() if hasattr(backend, "info") else {"model": backend.name})


SAVE_USAGE = "usage: %oci save PATH.ipynb [--all] [--force] (the last run, or --all runs of this kernel)"


@contextmanager
def _one_run_at_a_time() -> Iterator[None]:
    """The session's run lock; its refusal is the one-line error IPython shows for a misused magic."""
    with ExitStack() as stack:
        try:
            stack.enter_context(session.one_run_at_a_time())
        except RunInProgressError as exc:
            raise UsageError(str(exc)) from None
        yield


def _parent_msg_id(shell: Any) -> str | None:
    """The id of the execute request being answered: the extension finds the %%oci cell by it."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return None
    try:
        return kernel.get_parent()["header"]["msg_id"]
    except (AttributeError, KeyError, TypeError):
        return None


def _make_view(kind: str, request: str, executor: KernelExecutor) -> View:
    if kind == "widget":
        from oci_magic.views.widget import WidgetView

        view = WidgetView(request, executor=executor)
        view.show()
        return view
    return QuietView() if kind == "quiet" else TextView()


def _print_table(rows: dict[str, Any]) -> None:
    width = max(map(len, rows))
    for key, value in rows.items():
        print(f"{key:>{width}}: {value}")
