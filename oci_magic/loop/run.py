"""The refinement loop: generate, extract, execute, feed the result back, until the code runs.

It knows nothing of IPython, widgets or llama.cpp: it talks to a backend (anything with `stream_chat`),
an executor (anything with `run`) and listeners (callables that receive `LoopEvent`s).
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import asdict, dataclass
from typing import Any, Literal

from oci_magic.checks import outcome
from oci_magic.checks.reading import read_request
from oci_magic.errors import OciError
from oci_magic.executors.results import ExecutionResult, Executor
from oci_magic.loop import prompts, records
from oci_magic.loop.conversation import Conversation
from oci_magic.loop.extract import extract_code
from oci_magic.loop.records import Round, Run
from oci_magic.loop.repetition import repetition_start
from oci_magic.notebook.changes import snapshot
from oci_magic.notebook.summary import describe_value

__all__ = ["LoopSettings", "LoopEvent", "run_request"]


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
    # let it confirm (DONE) or correct it: once a run, when a round is left. Off by default: see the README
    # for what it did on DS-1000.
    second_look: bool = False


EventKind = Literal[
    "run_started",
    "round_started",
    "token",
    "repeated",
    "code",
    "executing",
    "output",
    "executed",
    "run_finished",
]


@dataclass
class LoopEvent:
    """kind is one of: run_started, round_started, token, repeated, code, executing, output, executed,
    run_finished. "repeated" comes when a reply repeated a failed round's code and the model is asked again
    (`round.repeated_reply` holds that reply; the tokens of the new one follow).

    "output" comes each time the running code's outputs change; they are in `round.outputs`."""

    kind: EventKind
    run: Run
    round: Round | None = None
    text: str = ""


Listener = Callable[[LoopEvent], None]


def _count_tokens(backend: Any) -> Callable[[list[dict]], int]:
    counter = getattr(backend, "count_tokens", None)
    if counter is not None:
        return counter
    return lambda messages: sum(prompts.estimate_tokens(m["content"]) + 4 for m in messages)


def _generate(backend, messages, settings, round_: Round, emit, *, seed: int | None = None) -> None:
    """Stream the reply into `round_`, with its timing figures; a reply caught looping is stopped there.
    With a `seed`, sample at the retry temperature."""
    started = time.perf_counter()
    chunks = 0
    earlier_stats = getattr(backend, "last_stats", None)
    options: dict[str, Any] = {"temperature": settings.temperature, "max_tokens": settings.max_tokens}
    if seed is not None:
        options.update(temperature=settings.retry_temperature, seed=seed)
    stream = backend.stream_chat(messages, **options)
    try:
        with closing(stream) if hasattr(stream, "close") else nullcontext():
            for chunk in stream:
                if round_.time_to_first_token is None:
                    round_.time_to_first_token = time.perf_counter() - started
                chunks += 1
                round_.reply += chunk
                emit("token", round_, chunk)
                if "\n" in chunk and (cut := repetition_start(round_.reply)) is not None:
                    # The copies after the first are identical: nothing is lost by dropping them.
                    round_.reply, round_.reply_cut = round_.reply[:cut], records.CUT_REPEATING
                    break
    finally:  # an interrupted reply keeps its figures too: how far it got
        round_.generation_time = time.perf_counter() - started
        stats = getattr(backend, "last_stats", None)
        stats = {} if stats is None or stats is earlier_stats else stats  # none from this reply
        if round_.reply_cut is None and stats.get("finish_reason") == "length":
            round_.reply_cut = records.CUT_AT_MAX_TOKENS
        round_.generated_tokens = stats.get("generated_tokens", chunks)
        round_.prompt_tokens = stats.get("prompt_tokens")
        round_.prompt_tokens_evaluated = stats.get("prompt_tokens_evaluated")
        round_.drafted_tokens = stats.get("drafted_tokens")
        round_.accepted_tokens = stats.get("accepted_tokens")


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


def run_request(
    request: str,
    *,
    backend: Any,
    executor: Executor,
    conversation: Conversation,
    settings: LoopSettings = LoopSettings(),
    context: str = "",
    files: str = "",
    listeners: tuple[Listener, ...] = (),
    approve: Callable[[Round], bool] | None = None,
) -> Run:
    """Answer `request` in up to `settings.max_rounds` rounds and return the record of the run.

    `context` summarises the notebook's variables and `files` peeks at the files the request names; both
    go before the request. `approve(round)`, when given, is asked before each piece of code runs; False
    stops the run there."""
    run = Run(
        request=request, model=getattr(backend, "name", type(backend).__name__), settings=asdict(settings)
    )

    def emit(kind: EventKind, round_: Round | None = None, text: str = "") -> None:
        event = LoopEvent(kind, run, round_, text)
        for listener in listeners:
            listener(event)

    started = time.perf_counter()
    emit("run_started")
    request_at = conversation.add_user(prompts.request_message(request, context, files))
    prompt = conversation.messages[request_at]["content"]
    count_tokens = _count_tokens(backend)
    context_size = getattr(backend, "context_size", None)
    round_: Round | None = None
    namespace = getattr(executor, "namespace", None)
    checked = settings.result_checks and namespace is not None and not settings.check
    reading = read_request(request) if checked else None

    def fitted(messages: list[dict], current_start: int) -> list[dict]:
        """`messages` fitted to the context window, with room for the reply."""
        if not context_size:
            return messages
        return prompts.fit_messages(
            messages,
            budget=context_size - settings.max_tokens,
            count_tokens=count_tokens,
            current_start=current_start,
        )

    def ask(round_: Round, seed: int | None = None, *, quiet: bool = False) -> None:
        """The model's reply to the conversation so far, fitted to the context window, streamed into `round_`
        (and to the listeners unless `quiet`) and added to the conversation."""
        messages = fitted(conversation.messages, request_at)
        _generate(backend, messages, settings, round_, (lambda *_: None) if quiet else emit, seed=seed)
        conversation.add_assistant(round_.reply)

    def ask_afresh(round_: Round, index: int) -> None:
        """After a reply that repeated failed code: the request again in a conversation of its own, with
        what each earlier round did wrong stated (not its code), greedy; sampled if that repeats too. The
        reply joins the run's conversation, after the turn that said it repeated itself."""
        failures = [
            prompts.earlier_failure(r.code, r.error, r.shortfalls)
            for r in run.rounds[:-1]
            if r.code is not None and r.status in _WENT_WRONG
        ]
        round_.retry_prompt = prompts.fresh_start_message(
            prompts.request_message(request, context, files), failures
        )
        messages = [m for m in conversation.messages[:1] if m["role"] == "system"]
        messages.append({"role": "user", "content": round_.retry_prompt})
        messages = fitted(messages, len(messages) - 1)
        for seed in (None, settings.seed + index):
            round_.reply, round_.time_to_first_token = "", None
            _generate(backend, messages, settings, round_, emit, seed=seed)
            round_.code = extract_code(round_.reply)
            if round_.code is None or _failed_before(run.rounds[:-1], round_.code) is None:
                break
        conversation.add_assistant(round_.reply)

    def second_look(passed: Round) -> str | None:
        """The model's correction of a round that passed, after it saw what the code printed and defined
        (the values, as the request's summary shows them); None when it confirms it or repeats the code."""
        defined = [item.split(":", 1)[0] for item in passed.defined]
        shown = [f"- {name}: {describe_value(namespace[name])}" for name in defined if name in namespace]
        conversation.add_user(prompts.second_look_message(shown))
        passed.look_prompt = conversation.messages[-1]["content"]
        look = Round(index=passed.index)
        ask(look, quiet=True)  # most replies are DONE: nothing to show until there is code to run
        passed.look_reply = look.reply
        code = extract_code(look.reply)
        if code is None or normalized(code) == normalized(passed.code or ""):
            return None
        return look.reply

    correction: str | None = None  # a second look's reply: the next round's, already written
    try:
        for index in range(1, settings.max_rounds + 1):
            round_ = Round(index=index, prompt=prompt)
            run.rounds.append(round_)
            emit("round_started", round_)
            if correction is not None:
                round_.reply, correction = correction, None
                emit("token", round_, round_.reply)
            else:
                ask(round_)
            round_.code = extract_code(round_.reply)
            repeated = _failed_before(run.rounds[:-1], round_.code) if round_.code is not None else None
            if repeated is not None:
                # The same code would fail the same way: it is not run, and the model is asked again.
                round_.repeat_of, round_.repeated_reply = repeated.index, round_.reply
                shortfall = repeated.shortfalls[0] if repeated.shortfalls else None
                said = prompts.repeated_code_message(
                    repeated.index, repeated.error, shortfall, refused=repeated.status == records.REFUSED
                )
                conversation.add_user(said)
                emit("repeated", round_)
                ask_afresh(round_, index)
                if round_.code is not None and _failed_before(run.rounds[:-1], round_.code) is not None:
                    round_.feedback = said
                    conversation.add_user(round_.feedback)
                    emit("executed", round_)
                    continue
            if round_.code is None:
                run.status = records.NO_CODE
                if index == 1 or index == settings.max_rounds:
                    break  # a first reply in words answers the request; nothing is left to repair
                # A repair that explains the fix but leaves out the code: ask for the code.
                round_.feedback = prompts.NO_CODE_FEEDBACK
                conversation.add_user(round_.feedback)
                emit("executed", round_)
                continue
            replacing = []
            if checked and settings.execute:
                replacing = outcome.replacements(round_.code, namespace, request, same_values=True)
            if replacing and (kept := outcome.without_replacements(round_.code, replacing)):
                # The data a question prints, written into the code over the user's: those lines are left
                # out (commented in the cell), the rest runs on the user's data, and the model is told.
                round_.code, round_.left_out = kept
            replacing = [found for found in replacing if not found.same and not round_.left_out]
            emit("code", round_, round_.code)
            if replacing:
                # Running it would lose the user's data; the model is told, and the next round goes on.
                round_.shortfalls = [found.sentence for found in replacing]
                prompt = round_.feedback = prompts.not_run_message(round_.shortfalls)
                conversation.add_user(round_.feedback)
                emit("executed", round_)
                continue
            if not settings.execute:
                run.status = records.GENERATED
                break
            if approve is not None and not approve(round_):
                round_.declined, run.status = True, records.DECLINED
                emit("executed", round_)
                break
            emit("executing", round_)

            def on_output(outputs: list[dict], round_: Round = round_) -> None:
                round_.outputs = outputs
                emit("output", round_)

            before = snapshot(namespace) if checked else {}
            result, check_failed = _execute(executor, round_.code, settings, on_output)
            round_.record_execution(result)
            if reading is not None and result.success:
                findings = outcome.judge_round(
                    reading, namespace, before, code=round_.code, output=result.output
                )
                round_.shortfalls, round_.notes = findings.stops, findings.notes
            emit("executed", round_)
            prompt = round_.feedback = prompts.feedback_message(
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
            # Kept even after the last round, so that a follow-up request knows how this one ended.
            conversation.add_user(prompt)
            if result.interrupted:
                run.status = records.INTERRUPTED
                break
            if result.success and not round_.shortfalls:
                run.status = records.PASSED
                looked = any(r.look_reply for r in run.rounds)
                if not (settings.second_look and checked and index < settings.max_rounds and not looked):
                    break
                correction = second_look(round_)
                if correction is None:
                    break
                prompt = round_.look_prompt
        else:
            run.status = records.FAILED
            if round_ is not None and round_.timed_out:
                run.status = records.TIMEOUT
            elif round_ is not None and round_.status == records.INCOMPLETE:
                run.status = records.INCOMPLETE
    except KeyboardInterrupt:
        # Ctrl-C / kernel interrupt while the model was writing: stop the whole run, keep what was done.
        if round_ is not None:
            round_.interrupted = True
        run.status = records.INTERRUPTED
        run.message = "interrupted while the model was writing"
    except OciError as exc:
        run.status, run.message = records.ERROR, str(exc)
    except Exception as exc:  # a plugged-in backend failing must not lose the run's record
        run.status, run.message = records.ERROR, f"{type(exc).__name__}: {exc}"
    finally:
        run.duration = time.perf_counter() - started
        emit("run_finished")
    return run
