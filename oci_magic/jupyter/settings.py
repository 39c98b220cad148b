"""The settings of `%%oci` (`%config OciMagics.<name> = value`), as traits with their help and limits, and
what a call makes of them: the loop's settings, the engine's, the view.

The kernel's `OciMagics` (`manager.py`) inherits them, so that `%config OciMagics` lists and sets them as
IPython users expect.
"""

from __future__ import annotations

import argparse

from traitlets import Bool, Enum, Float, Int, TraitError, Unicode, Union, validate
from traitlets.config import Configurable

from oci_magic.backends.chat_formats import FORMAT_NAMES
from oci_magic.backends.speculation import MODES as SPECULATION_MODES
from oci_magic.jupyter.cells import CELL_MODES
from oci_magic.loop.prompts import SYSTEM_PROMPT
from oci_magic.loop.run import LoopSettings
from oci_magic.models import engine
from oci_magic.undo.budget import parse_budget

__all__ = ["OciSettings", "FRONTEND_SETTINGS"]

# Settings the JupyterLab extension edits (through its settings registry): the name in its schema (the
# settings editor's), and the setting's name here. Sent to the extension when the comm opens.
FRONTEND_SETTINGS = {"model": "model", "maxRounds": "max_rounds", "temperature": "temperature"}


class OciSettings(Configurable):
    """Every setting of `%%oci`; the flags of one call override some of them for that call."""

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
        ("off", "auto", "on"),
        "off",
        help="llama.cpp weight repacking. 'off': the weights stay pages of the model file, which every "
        "notebook using the model shares (a second notebook with the 1.5B adds about 210 MiB, not 800), "
        "prompts evaluate ~20% faster and the model loads ~0.5 s sooner. 'auto': repacked where llama.cpp "
        "can (not where it uses AMX, whose repacked weights crash): decoding ~20% faster, a private copy of "
        "the weights in each notebook. 'on': repacked, refused where llama.cpp uses AMX.",
    ).tag(config=True)
    warm_start = Bool(
        True,
        help="Load the model in the background once the cell with %load_ext oci_magic has run, and evaluate "
        "the start of the first prompt ahead (the system prompt and the notebook's variables), so that the "
        "first %%oci answers as soon as later ones; a %%oci sent during the load waits for it. False: "
        "nothing loads until the first %%oci.",
    ).tag(config=True)
    suggestions = Bool(
        True,
        help="Suggestions as you type in JupyterLab (ghost text, Tab accepts), from the loaded model in a "
        "context of its own; JupyterLab's inline completer settings say when they are asked for.",
    ).tag(config=True)
    suggestion_tokens = Int(48, help="Most tokens one suggestion writes.").tag(config=True)
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
        "confirm (DONE) or correct it, once a run. Off by default: on DS-1000 it corrected nothing.",
    ).tag(config=True)
    candidates = Int(
        1,
        help="Candidates a round writes: the reply, then N-1 more sampled at candidate_temperature. Each is "
        "tried on your data in a fork of the kernel (nothing it does reaches your variables or the notebook) "
        "and the one most of them agree with runs for real; the run says whether they agreed. Code that "
        "writes files, runs commands or uses the network is never tried: such a round has one candidate.",
    ).tag(config=True)
    candidate_temperature = Float(
        0.8, help="The temperature the extra candidates are sampled at (seeded: runs stay repeatable)."
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
        "rest of this call's rounds without asking): ask_before = 'always'.",
    ).tag(config=True)
    ask_before = Enum(
        ["risky", "always", "never"],
        "risky",
        help="When to ask before generated code runs: 'risky' (default) only for code that would delete, "
        "move or overwrite files, write outside the working folder, run shell commands, install packages, "
        "use the network, change the environment or read credentials, showing the lines and why; "
        "'always' before every round (as confirm); 'never'. A frontend that cannot answer (nbclient, "
        "papermill) runs nothing it would ask about.",
    ).tag(config=True)
    undo = Bool(
        True,
        help="Keep what each run needs for `%oci undo`: references to the objects it rebinds, and copies of "
        "those its code may change in place (within undo_budget). Off: runs cannot be undone.",
    ).tag(config=True)
    undo_budget = Unicode(
        "25%",
        help="Memory undo may take for copies of objects a run changes in place: a share of the memory free "
        "when the run starts ('25%') or a size for all runs that can be undone ('2GB'); '0' copies "
        "nothing. Objects over it are not copied, and undo says so before the code runs.",
    ).tag(config=True)
    plan_steps = Int(
        6,
        help="Most steps in a plan (%%oci --plan): the model is asked for at most this many, and steps "
        "past it join the last one.",
    ).tag(config=True)
    api_key_env = Unicode(
        "OCI_MAGIC_API_KEY",
        help="Name of the environment variable holding the server's API key (the key itself is never "
        "stored in a setting, printed or saved).",
    ).tag(config=True)

    @validate("max_rounds", "max_tokens", "n_ctx", "candidates")
    def _at_least_one(self, proposal):
        if proposal["value"] < 1:
            raise TraitError(f"{proposal['trait'].name} must be 1 or more, got {proposal['value']}")
        return proposal["value"]

    @validate("plan_steps")
    def _two_steps_at_least(self, proposal):
        if proposal["value"] < 2:
            raise TraitError(
                f"plan_steps must be 2 or more, got {proposal['value']}; for one step, leave out --plan"
            )
        return proposal["value"]

    @validate(
        "temperature",
        "exec_timeout",
        "n_threads",
        "context_chars",
        "feedback_chars",
        "retry_temperature",
        "candidate_temperature",
    )
    def _not_negative(self, proposal):
        if proposal["value"] < 0:
            raise TraitError(f"{proposal['trait'].name} must be 0 or more, got {proposal['value']}")
        return proposal["value"]

    @validate("undo_budget")
    def _a_budget(self, proposal):
        try:
            parse_budget(proposal["value"])
        except ValueError as exc:
            raise TraitError(f"undo_budget: {exc}") from None
        return proposal["value"]

    def loop_settings(self, args: argparse.Namespace) -> LoopSettings:
        """The loop's settings for one call: these settings, overridden by the call's flags."""
        return LoopSettings(
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
            candidates=self.candidates if args.candidates is None else args.candidates,
            candidate_temperature=self.candidate_temperature,
            ask_before="always" if args.confirm or self.confirm else args.ask_before or self.ask_before,
        )

    def engine_settings(self) -> engine.EngineSettings:
        return engine.EngineSettings(
            model=self.model,
            endpoint=self.endpoint,
            endpoint_model=self.endpoint_model,
            api_key_env=self.api_key_env,
            check_memory=self.check_memory,
            load={name: getattr(self, name) for name in engine.LOAD_SETTINGS},
            speculation=self.speculation,
        )
