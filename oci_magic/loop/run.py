"""The refinement loop: generate, extract, execute, feed the result back, until the code does what was asked.

A run is a sequence of rounds, and a round a sequence of steps (`Refinement.play_round`): write the reply,
find its code, decide whether it may run (not code that failed already, not lines that would replace the
user's data), run it, judge what it left, feed that back. Each round either goes on or says how the run ends;
`run_status` turns that into the run's status, in one place.

It knows nothing of IPython, widgets or llama.cpp: it talks to a backend (a `Backend`: `stream_chat`), an
executor (an `Executor`: `run`) and listeners (callables that receive `LoopEvent`s).
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from oci_magic.backends import Backend
from oci_magic.candidates.choice import try_candidates
from oci_magic.checks import outcome
from oci_magic.checks.reading import read_request
from oci_magic.errors import OciError
from oci_magic.executors.results import ExecutionResult, Executor
from oci_magic.loop import prompts, records
from oci_magic.loop.conversation import Conversation
from oci_magic.loop.events import EventKind, Listener, LoopEvent
from oci_magic.loop.extract import extract_code
from oci_magic.loop.generate import generate
from oci_magic.loop.records import Round, Run, Status
from oci_magic.notebook.changes import snapshot
from oci_magic.notebook.summary import describe_value

__all__ = ["LoopSettings", "run_request", "run_status"]


@dataclass(frozen=True)
class LoopSettings:
    """What one run needs to know; a snapshot taken when the run starts."""

    max_rounds: int = 3
    temperature: float = 0.0
    max_tokens: int = 1024
    exec_timeout: float | None = 120.0
    execute: bool = True
    check: str | None = None
    feedback_chars: int = 2000
    state_feedback: bool = True  # after an error, the values at the failing line too (not only the traceback)
    # When a reply repeats the code of a round that failed, it is not run again: the model is asked afresh
    # (ask_afresh), greedy, then once more at this temperature, seeded with `seed` + the round's number.
    retry_temperature: float = 0.7
    seed: int = 0
    # Code that raised nothing passes only when it left what the request asks for (outcome.py). Needs an
    # executor that shows its `namespace`; off when a --check line is given (the user's check decides).
    result_checks: bool = True
    # After a round that passed, show the model what its code printed and defined beside the request and
    # let it confirm (DONE) or correct it: once a run, when a round is left. Off by default: on DS-1000 it
    # corrected nothing (docs/ds1000.md).
    second_look: bool = False
    # Candidates the first round writes: the reply as today, then `candidates - 1` more sampled at
    # `candidate_temperature` (seeded with `seed` + their number). Each is tried on the user's data in a fork
    # of the kernel (oci_magic/candidates) and the one most agree with runs for real. 1: one reply, as today.
    # Repair rounds write one reply: they have the error to go on, and every candidate costs a reply's time.
    candidates: int = 1
    candidate_temperature: float = 0.8
    # When `approve` is asked before code runs: "risky" only for code that would delete, overwrite, send or
    # run something outside the kernel (safety/risks.py), "always" for every round, "never". The loop as a
    # library runs what it is given; %%oci's setting defaults to "risky".
    ask_before: str = "never"


def _error_text(error, settings: LoopSettings) -> str:
    if settings.state_feedback and error.feedback:
        return error.feedback
    return error.traceback


def normalized(code: str) -> str:
    """The code without comments, blank lines and layout: two replies that differ only there are the same."""
    try:
        return ast.dump(ast.parse(code))
    except (SyntaxError, ValueError):
        return "\n".join(" ".join(line.split()) for line in code.splitlines() if line.strip())


def _failed_before(rounds: list[Round], code: str) -> Round | None:
    """The earlier round that ran this same code and failed (or left the request undone), or did not run it
    because it would replace the user's data, if any."""
    key = normalized(code)
    for earlier in rounds:
        unanswered = earlier.executed and earlier.status != records.PASSED
        if (unanswered or earlier.status == records.REFUSED) and earlier.code is not None:
            if normalized(earlier.code) == key:
                return earlier
    return None


# The most tokens a sampled candidate may take: this many times the greedy reply's, and at least this many.
SAMPLE_LENGTH_RATIO, SAMPLE_TOKENS_AT_LEAST = 2, 256

# Rounds whose code ran and went wrong, or was not run because it would replace the user's data.
_WENT_WRONG = (records.FAILED, records.INCOMPLETE, records.TIMEOUT, records.REFUSED)


def _execute(
    executor: Executor, code: str, settings: LoopSettings, on_output
) -> tuple[ExecutionResult, bool]:
    """Run the code, then the --check line if the code ran; (result, whether the check failed)."""
    result = executor.run(code, timeout=settings.exec_timeout, on_output=on_output)
    if not result.success or not settings.check:
        return result, False
    check = executor.run(
        settings.check,
        timeout=settings.exec_timeout,
        on_output=lambda outputs: on_output(result.outputs + outputs),
    )
    check.output = result.output + check.output
    check.outputs = result.outputs + check.outputs
    check.duration += result.duration
    # What the round defined is the code's doing (the quickstart's `mean`), plus whatever the check bound.
    check.defined = result.defined + [item for item in check.defined if item not in result.defined]
    return check, not check.success


def run_status(rounds: list[Round], ended: Status | None) -> Status:
    """The run's status, decided here alone: what ended it (a round that passed, a reply without code, a
    refusal to run, an interruption, an error), or, when every round went without an answer, how the last
    one went."""
    if ended is not None:
        return ended
    last = rounds[-1] if rounds else None
    if last is not None and last.timed_out:
        return records.TIMEOUT
    if last is not None and last.status == records.INCOMPLETE:
        return records.INCOMPLETE
    return records.FAILED


def run_request(
    request: str,
    *,
    backend: Backend,
    executor: Executor,
    conversation: Conversation,
    settings: LoopSettings = LoopSettings(),
    context: str = "",
    files: str = "",
    listeners: tuple[Listener, ...] = (),
    approve: Callable[[Round], bool] | None = None,
    asked: str | None = None,
    step: records.StepMark | None = None,
    first_reply: str | None = None,
) -> Run:
    """Answer `request` in up to `settings.max_rounds` rounds and return the record of the run.

    `context` summarises the notebook's variables and `files` peeks at the files the request names; both
    go before the request. `approve(round)`, when given, is asked before each piece of code runs; False
    stops the run there. A plan's step passes `asked` (the turn the model reads, which differs from the
    step's text that the checks read), its `step`, and, to run a step's earlier code again, `first_reply`:
    round 1's reply, already written."""
    refinement = Refinement(request, backend, executor, conversation, settings, listeners, approve)
    refinement.run.step = step
    if first_reply is not None:
        refinement.correction = first_reply
    return refinement.run_all(asked or prompts.request_message(request, context, files))


class Refinement:
    """One run in progress: its record, the conversation it adds to, and the steps of its rounds."""

    def __init__(
        self,
        request: str,
        backend: Backend,
        executor: Executor,
        conversation: Conversation,
        settings: LoopSettings,
        listeners: tuple[Listener, ...],
        approve: Callable[[Round], bool] | None,
    ) -> None:
        self.request, self.backend, self.executor = request, backend, executor
        self.conversation, self.settings = conversation, settings
        self.listeners, self.approve = listeners, approve
        self.run = Run(request=request, model=backend.name, settings=asdict(settings))
        self.namespace = executor.namespace
        # The result checks need the namespace the code ran in; a --check line decides instead of them.
        self.checked = settings.result_checks and self.namespace is not None and not settings.check
        self.reading = read_request(request) if self.checked else None
        self.count_tokens = backend.count_tokens
        self.context_size = backend.context_size
        self.request_turn = ""  # the request as the model reads it, with the notebook's summary
        self.request_at = 0  # its place in the conversation: what is never trimmed away
        self.prompt = ""  # the message the next round answers
        self.correction: str | None = None  # a second look's reply: the next round's, already written
        self.asked: list[dict] = []  # the messages the last reply answered

    def emit(self, kind: EventKind, round_: Round | None = None, text: str = "") -> None:
        event = LoopEvent(kind, self.run, round_, text)
        for listener in self.listeners:
            listener(event)

    def run_all(self, request_turn: str) -> Run:
        run, started = self.run, time.perf_counter()
        self.emit("run_started")
        self.request_turn = request_turn
        self.request_at = self.conversation.add_user(request_turn)
        self.prompt = self.conversation.messages[self.request_at]["content"]
        ended: Status | None = None
        try:
            for index in range(1, self.settings.max_rounds + 1):
                ended = self.play_round(index)
                if ended is not None:
                    break
        except KeyboardInterrupt:
            # Ctrl-C / kernel interrupt while the model was writing: stop the whole run, keep what was done.
            if run.rounds:
                run.rounds[-1].interrupted = True
            ended, run.message = records.INTERRUPTED, "interrupted while the model was writing"
        except OciError as exc:
            ended, run.message = records.ERROR, str(exc)
        except Exception as exc:  # a plugged-in backend failing must not lose the run's record
            ended, run.message = records.ERROR, f"{type(exc).__name__}: {exc}"
        finally:
            run.status = run_status(run.rounds, ended)
            run.duration = time.perf_counter() - started
            self.emit("run_finished")
        return run

    # -- one round, step by step: each step that ends the round early says so -------------------------
    def play_round(self, index: int) -> Status | None:
        """One round: write, find the code, decide whether it may run, run it, judge it, feed back. Returns
        the status that ends the run, or None to go on to the next round."""
        round_ = Round(index=index, prompt=self.prompt)
        self.run.rounds.append(round_)
        self.emit("round_started", round_)
        self.write(round_)
        round_.code = extract_code(round_.reply)
        if round_.code is not None and self.repeats_failed_code(round_, index):
            return None
        if round_.code is None:
            return self.without_code(round_, index)
        if index == 1 and self.settings.candidates > 1 and self.settings.execute and self.asked:
            self.choose(round_, index)
        if not self.may_run(round_):
            return None
        if not self.settings.execute:
            return records.GENERATED
        if not self.allowed(round_):
            return self.declined(round_, index)
        result, check_failed = self.execute(round_)
        self.feed_back(round_, result, check_failed)
        return self.verdict(round_, result, index)

    def write(self, round_: Round) -> None:
        """The round's reply: the model's, or the correction a second look already wrote."""
        if self.correction is not None:
            round_.reply, self.correction = self.correction, None
            self.asked = []  # a correction was not written to the round's messages: no candidates beside it
            if self.conversation.messages[-1]["role"] != "assistant":  # a step's earlier code, run again
                self.conversation.add_assistant(round_.reply)
            self.emit("token", round_, round_.reply)
        else:
            self.ask(round_)

    def repeats_failed_code(self, round_: Round, index: int) -> bool:
        """A reply repeating the code of a round that went wrong is not run; the model is asked afresh. True
        when the new reply repeats failed code too: the round ends there, and the model is told."""
        repeated = _failed_before(self.run.rounds[:-1], round_.code)
        if repeated is None:
            return False
        round_.repeat_of, round_.repeated_reply = repeated.index, round_.reply
        shortfall = repeated.shortfalls[0] if repeated.shortfalls else None
        said = prompts.repeated_code_message(
            repeated.index, repeated.error, shortfall, refused=repeated.status == records.REFUSED
        )
        self.conversation.add_user(said)
        self.emit("repeated", round_)
        self.ask_afresh(round_, index)
        if round_.code is None or _failed_before(self.run.rounds[:-1], round_.code) is None:
            return False
        round_.feedback = said
        self.conversation.add_user(round_.feedback)
        self.emit("executed", round_)
        return True

    def choose(self, round_: Round, index: int) -> None:
        """Write the round's other candidates, try each on the user's data where it cannot change it, and
        make the round's code the one of the largest group that agrees (candidates.py)."""
        written = [records.Candidate(round_.reply, round_.code)]
        started, tokens = time.perf_counter(), 0
        # A sample much longer than the greedy reply is rambling: it is cut there (what it wrote by then
        # is tried like any other), so that a candidate costs about what the reply did.
        longest = max(SAMPLE_TOKENS_AT_LEAST, SAMPLE_LENGTH_RATIO * (round_.generated_tokens or 0))
        for number in range(1, self.settings.candidates):
            self.emit("candidates", round_, f"writing candidate {number + 1} of {self.settings.candidates}")
            sample = Round(index=index)
            seed = self.settings.seed + 1000 * index + number
            temperature = self.settings.candidate_temperature
            self.generate(
                self.asked, sample, seed=seed, quiet=True, temperature=temperature, max_tokens=longest
            )
            tokens += sample.generated_tokens or 0
            code = extract_code(sample.reply)
            if code is not None and _failed_before(self.run.rounds[:-1], code) is None:
                written.append(records.Candidate(sample.reply, code))
        round_.candidates_writing = time.perf_counter() - started
        round_.candidates_tokens, round_.candidates = tokens, written
        started = time.perf_counter()
        self.emit("candidates", round_, f"trying {len(written)} candidates on a copy of your data")
        # Each is tried as it would run: without the lines that would replace the user's data (may_run).
        codes = [c.code for c in written]
        if self.checked:
            codes = [outcome.as_it_would_run(code, self.namespace, self.request) for code in codes]
        tried = try_candidates(self.executor, codes, self.settings.exec_timeout, self.request)
        round_.trials_seconds = time.perf_counter() - started
        if isinstance(tried, str):
            round_.single, round_.candidates = tried, []
            self.emit("candidates", round_)
            return
        for candidate, trial in zip(written, tried.trials, strict=True):
            candidate.ran, candidate.error, candidate.seconds = trial.ok, trial.error, trial.seconds
            candidate.printed, candidate.left = trial.printed[:2000], trial.described
        for number, members in enumerate(tried.agreement.groups):
            for member in members:
                written[member].group = number
        round_.chosen = tried.agreement.chosen
        round_.agreement, round_.agreed = tried.agreement.words(), tried.agreement.agreed
        chosen = written[round_.chosen]
        if round_.chosen != 0:
            round_.reply, round_.code = chosen.reply, chosen.code
            if self.conversation.messages[-1]["role"] == "assistant":
                self.conversation.messages[-1] = {"role": "assistant", "content": chosen.reply}
        self.emit("candidates", round_)

    def without_code(self, round_: Round, index: int) -> Status | None:
        """A reply without code: an answer in words when it is the first (or the last round's), else a
        repair that explained the fix but left out the code: the model is asked for the code."""
        if index == 1 or index == self.settings.max_rounds:
            return records.NO_CODE
        round_.feedback = prompts.NO_CODE_FEEDBACK
        self.conversation.add_user(round_.feedback)
        self.emit("executed", round_)
        return None

    def may_run(self, round_: Round) -> bool:
        """Lines that would replace the user's data with values written into the code are left out
        (commented in the cell) and the rest runs on the user's data; where they cannot be left out, the code
        is not run (False) and the model is told why."""
        replacing = []
        if self.checked and self.settings.execute:
            replacing = outcome.replacements(round_.code, self.namespace, self.request, same_values=True)
        if replacing and (kept := outcome.without_replacements(round_.code, replacing)):
            round_.code, round_.left_out = kept
        replacing = [found for found in replacing if not found.same and not round_.left_out]
        self.emit("code", round_, round_.code)
        if not replacing:
            return True
        round_.shortfalls = [found.finding for found in replacing]
        self.prompt = round_.feedback = prompts.not_run_message(round_.shortfalls)
        self.conversation.add_user(round_.feedback)
        self.emit("executed", round_)
        return False

    def allowed(self, round_: Round) -> bool:
        """Whether the code may run: `approve` is asked for every round ("always"), or for a round whose
        code would change something outside the kernel ("risky"); the answer is kept on the round."""
        mode = self.settings.ask_before
        if self.approve is None or mode == "never":
            return True
        # The executor reads them (a kernel's turns `!cmd` and `%pip` into the calls they are).
        round_.risks = self.executor.risks(round_.code)
        if mode == "risky" and not round_.risks:
            return True
        self.emit("asking", round_)
        allowed = self.approve(round_)
        round_.answer = round_.answer or ("yes" if allowed else "no")
        return allowed

    def declined(self, round_: Round, index: int) -> Status | None:
        """The user said no. Code they refused for what it would do outside the kernel is written again
        without that, when a round is left; a plain no (every round asked) ends the run."""
        round_.declined = True
        if round_.risks and index < self.settings.max_rounds:
            self.prompt = round_.feedback = prompts.declined_message(round_.risks)
            self.conversation.add_user(round_.feedback)
            self.emit("executed", round_)
            return None
        self.emit("executed", round_)
        return records.DECLINED

    def execute(self, round_: Round) -> tuple[ExecutionResult, bool]:
        """Run the code (and the --check line), then judge what it left when it raised nothing."""
        self.emit("executing", round_)

        def on_output(outputs: list[dict]) -> None:
            round_.outputs = outputs
            self.emit("output", round_)

        before = snapshot(self.namespace) if self.checked else {}
        result, check_failed = _execute(self.executor, round_.code, self.settings, on_output)
        round_.record_execution(result)
        if self.reading is not None and result.success:
            findings = outcome.judge_round(
                self.reading, self.namespace, before, code=round_.code, output=result.output
            )
            round_.shortfalls, round_.notes = findings.stops, findings.notes
        self.emit("executed", round_)
        return result, check_failed

    def feed_back(self, round_: Round, result: ExecutionResult, check_failed: bool) -> None:
        """What running it did, as the model reads it: kept even after the last round, so that a follow-up
        request knows how this one ended."""
        settings = self.settings
        self.prompt = round_.feedback = prompts.feedback_message(
            output=result.output,
            error_text=_error_text(result.error, settings) if result.error else None,
            timed_out=result.timed_out,
            interrupted=result.interrupted,
            check=settings.check,
            check_failed=check_failed,
            hidden_chars=result.hidden_chars,
            shortfalls=round_.shortfalls,
            left_out=round_.left_out,
            limit=settings.feedback_chars,
        )
        self.conversation.add_user(self.prompt)

    def verdict(self, round_: Round, result: ExecutionResult, index: int) -> Status | None:
        """How a round that ran ends the run: interrupted, passed (after a second look, if one is due and
        finds nothing to correct), or not yet."""
        if result.interrupted:
            return records.INTERRUPTED
        if not result.success or round_.shortfalls:
            return None
        settings = self.settings
        looked = any(r.look_reply for r in self.run.rounds)
        if not (settings.second_look and self.checked and index < settings.max_rounds and not looked):
            return records.PASSED
        self.correction = self.second_look(round_)
        if self.correction is None:
            return records.PASSED
        self.prompt = round_.look_prompt
        return None

    # -- asking the model ------------------------------------------------------------------------------
    def fitted(self, messages: list[dict], current_start: int) -> list[dict]:
        """`messages` fitted to the context window, with room for the reply."""
        if not self.context_size:
            return messages
        return prompts.fit_messages(
            messages,
            budget=self.context_size - self.settings.max_tokens,
            count_tokens=self.count_tokens,
            current_start=current_start,
        )

    def generate(
        self,
        messages: list[dict],
        round_: Round,
        *,
        seed: int | None = None,
        quiet: bool = False,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        """The reply streamed into `round_` (and to the listeners unless `quiet`); sampled with a `seed` at
        `temperature` (default: the retry temperature)."""
        settings = self.settings
        if temperature is None:
            temperature = settings.temperature if seed is None else settings.retry_temperature
        self.asked = list(messages)  # what the round's other candidates answer (not the list that grows)
        emit = (lambda *_: None) if quiet else self.emit
        generate(
            self.backend,
            messages,
            round_,
            emit,
            temperature=temperature,
            max_tokens=min(settings.max_tokens, max_tokens or settings.max_tokens),
            seed=seed,
        )

    def ask(self, round_: Round, *, quiet: bool = False) -> None:
        """The model's reply to the conversation so far, added to the conversation."""
        self.generate(self.fitted(self.conversation.messages, self.request_at), round_, quiet=quiet)
        self.conversation.add_assistant(round_.reply)

    def ask_afresh(self, round_: Round, index: int) -> None:
        """After a reply that repeated failed code: the request again in a conversation of its own, with
        what each earlier round did wrong stated (not its code), greedy; sampled if that repeats too. The
        reply joins the run's conversation, after the turn that said it repeated itself."""
        failures = [
            prompts.earlier_failure(r.code, r.error, r.shortfalls)
            for r in self.run.rounds[:-1]
            if r.code is not None and r.status in _WENT_WRONG
        ]
        round_.retry_prompt = prompts.fresh_start_message(self.request_turn, failures)
        messages = [m for m in self.conversation.messages[:1] if m["role"] == "system"]
        messages.append({"role": "user", "content": round_.retry_prompt})
        messages = self.fitted(messages, len(messages) - 1)
        for seed in (None, self.settings.seed + index):
            round_.reply, round_.time_to_first_token = "", None
            self.generate(messages, round_, seed=seed)
            round_.code = extract_code(round_.reply)
            if round_.code is None or _failed_before(self.run.rounds[:-1], round_.code) is None:
                break
        self.conversation.add_assistant(round_.reply)

    def second_look(self, passed: Round) -> str | None:
        """The model's correction of a round that passed, after it saw what the code printed and defined
        (the values, as the request's summary shows them); None when it confirms it or repeats the code."""
        namespace = self.namespace
        names = [item.name for item in passed.defined]
        shown = [f"- {name}: {describe_value(namespace[name])}" for name in names if name in namespace]
        self.conversation.add_user(prompts.second_look_message(shown))
        passed.look_prompt = self.conversation.messages[-1]["content"]
        look = Round(index=passed.index)
        self.ask(look, quiet=True)  # most replies are DONE: nothing to show until there is code to run
        passed.look_reply = look.reply
        code = extract_code(look.reply)
        if code is None or normalized(code) == normalized(passed.code or ""):
            return None
        return look.reply
