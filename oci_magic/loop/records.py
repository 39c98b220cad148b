"""The record of a run: one `Run` per `%%oci` call, one `Round` per generate-execute cycle.

Records are plain data so that views, history, transcripts and tests read them without knowing the loop.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from oci_magic.checks.findings import Finding, for_people
from oci_magic.executors.results import ErrorInfo, ExecutionResult
from oci_magic.notebook.changes import Defined, listed
from oci_magic.safety.risks import Risk


class Status(StrEnum):
    """How a run, or one of its rounds, stands. A StrEnum: equal to its text, and saved as it."""

    WAITING = "waiting"  # a plan's step not run yet
    RUNNING = "running"  # a run not finished yet (a plan's step: one of its runs is in progress)
    PASSED = "passed"
    FAILED = "failed"
    # Code that ran without an error but left undone what the request asks for (outcome.py): a round, and
    # a run whose last round ended so.
    INCOMPLETE = "incomplete"
    NO_CODE = "no_code"
    INTERRUPTED = "interrupted"
    TIMEOUT = "timeout"
    GENERATED = "generated"  # --no-run: code written, never executed
    DECLINED = "declined"  # the user answered no when --confirm asked before running it
    # A round whose code was, even after a retry, the code of an earlier round that failed: not run again.
    REPEATED = "repeated"
    # A round whose code was not run because it would have replaced the user's data with made-up values.
    REFUSED = "refused"
    ERROR = "error"  # the backend or the model failed: the run's `message` says how

    def __repr__(self) -> str:  # 'passed', as the plain text it stands for: lists of statuses read well
        return repr(self.value)


# The statuses by name, as the package spells them (records.PASSED).
PASSED, FAILED, INCOMPLETE, NO_CODE = Status.PASSED, Status.FAILED, Status.INCOMPLETE, Status.NO_CODE
INTERRUPTED, TIMEOUT, GENERATED = Status.INTERRUPTED, Status.TIMEOUT, Status.GENERATED
DECLINED, REPEATED, REFUSED, ERROR = Status.DECLINED, Status.REPEATED, Status.REFUSED, Status.ERROR

# Why a reply ended early, besides the model finishing it.
CUT_AT_MAX_TOKENS, CUT_REPEATING = "max_tokens", "repetition"

_run_ids = itertools.count(1)


@dataclass
class Candidate:
    """One of a round's candidates (`LoopSettings.candidates` > 1): its reply and code, and how its trial on
    the user's data, in a fork of the kernel, went."""

    reply: str
    code: str
    ran: bool = False  # its trial ran without an error
    error: str | None = None  # what its trial raised, or why it was not tried
    printed: str = ""  # what its trial printed (the start of it)
    left: str = ""  # what its trial defined or changed, as a line shows it
    group: int | None = None  # its group of agreeing candidates (0: the largest), when its trial ran
    seconds: float = 0.0  # its trial's


class Verdict(StrEnum):
    """What verified a run's answer (`Run.verdict`): the user's --check, candidates that agree, or nothing."""

    VERIFIED = "verified"  # the user's --check passed
    AGREED = "agreed"  # most candidates computed the same
    DISAGREED = "disagreed"  # the candidates did not agree
    UNVERIFIED = "unverified"  # one candidate, nothing checked it

    def __repr__(self) -> str:
        return repr(self.value)


VERIFIED, AGREED, DISAGREED, UNVERIFIED = (
    Verdict.VERIFIED,
    Verdict.AGREED,
    Verdict.DISAGREED,
    Verdict.UNVERIFIED,
)


@dataclass
class Round:
    """One round: the message that prompted it, the model's reply, the code and what running it did."""

    index: int
    prompt: str = ""
    reply: str = ""
    code: str | None = None
    output: str = ""  # printed text and the Out[] value, as the model read it
    outputs: list[dict[str, Any]] = field(default_factory=list)  # nbformat outputs: streams, displays, Out[]
    error: ErrorInfo | None = None
    executed: bool = False
    declined: bool = False  # the user was asked before it ran and said no (or could not answer)
    # What the code would do outside the kernel that needs the user's yes (safety/risks.py), found before it
    # ran, and what they answered: 'yes', 'no', or 'cannot ask' (a frontend without input()).
    risks: list[Risk] = field(default_factory=list)
    answer: str = ""
    timed_out: bool = False
    interrupted: bool = False
    reply_cut: str | None = None  # CUT_AT_MAX_TOKENS or CUT_REPEATING: the reply did not end by itself
    hidden_chars: int = 0  # printed beyond the output limit: counted, not kept
    overrun: float = 0.0  # seconds a call that ignored the time limit (C code) ran past it
    defined: list[Defined] = field(default_factory=list)  # what the code defined or changed
    # Why code that raised nothing did not pass (what the request asks for and the run left undone), or why
    # code was not run at all (it would replace the user's data with made-up values). Findings
    # (checks/findings.py): a kind, what it concerns, the facts; made text by `for_model` and `for_people`.
    shortfalls: list[Finding] = field(default_factory=list)
    # What the checks could not know for certain (a name the request only mentions that nothing defines, a
    # NaN result): shown to the user, never fed back to the model as a failure.
    notes: list[Finding] = field(default_factory=list)
    # Statements of the reply left out before the code ran (commented in `code`): they would have replaced
    # the user's data with values written into the code. One finding each, with its lines.
    left_out: list[Finding] = field(default_factory=list)
    feedback: str | None = None  # the "Execution result:" message the model got after this round
    # The round's first reply repeated the code of round `repeat_of`, which had failed: it was not run, and
    # the model was asked again in a fresh conversation: the request and what earlier code did wrong, without
    # the failed turns to copy from (`retry_prompt`); greedy first, then sampled if it repeated again.
    # `repeated_reply` keeps that first reply.
    repeat_of: int | None = None
    repeated_reply: str = ""
    retry_prompt: str = ""
    # The second look after a round that passed (LoopSettings.second_look): what the model was shown, and
    # its reply (DONE, or the corrected code that the next round runs).
    look_prompt: str = ""
    look_reply: str = ""
    # Several candidates (LoopSettings.candidates > 1): each tried on the user's data in a fork of the kernel,
    # the one of the largest agreeing group run for real. `agreement` says how they grouped ('3 of 4
    # candidates agree'), `agreed` whether that backs the chosen one; `single` why only one was written or
    # tried (code with effects outside the kernel, an input a fork cannot be given).
    candidates: list[Candidate] = field(default_factory=list)
    chosen: int = 0
    agreement: str = ""
    agreed: bool = False
    single: str = ""
    # The candidate the user ran in the chosen one's place once the run had ended (the widget's "Use
    # candidate N instead"): its code is the round's answer from then on.
    used: int | None = None
    candidates_writing: float | None = None  # seconds spent writing the other candidates
    candidates_tokens: int | None = None  # tokens they took
    trials_seconds: float | None = None  # seconds their trials took, all at once
    # Figures, in seconds and tokens; None when not measured.
    time_to_first_token: float | None = None
    generation_time: float | None = None
    generated_tokens: int | None = None
    prompt_tokens: int | None = None
    prompt_tokens_evaluated: int | None = None
    # Speculative decoding: tokens drafted from the conversation and how many the model kept.
    drafted_tokens: int | None = None
    accepted_tokens: int | None = None
    execution_time: float | None = None

    def record_execution(self, result: ExecutionResult) -> None:
        """What running the code did, from the executor's result: the one place a round takes it."""
        self.executed = True
        self.output, self.outputs, self.error = result.output, result.outputs, result.error
        self.timed_out, self.interrupted = result.timed_out, result.interrupted
        self.hidden_chars, self.overrun = result.hidden_chars, result.overrun
        self.execution_time, self.defined = result.duration, result.defined

    @property
    def tokens_per_second(self) -> float | None:
        if not self.generated_tokens or not self.generation_time:
            return None
        decode_time = self.generation_time - (self.time_to_first_token or 0.0)
        # The first token's time is prompt evaluation; decode speed counts the rest.
        if self.generated_tokens < 2 or decode_time <= 0:
            return self.generated_tokens / self.generation_time
        return (self.generated_tokens - 1) / decode_time

    @property
    def status(self) -> Status:
        if self.interrupted:
            return INTERRUPTED
        if self.timed_out:
            return TIMEOUT
        if self.code is None:
            return NO_CODE
        if self.declined:
            return DECLINED
        if not self.executed:
            if self.repeat_of is not None:
                return REPEATED
            return REFUSED if self.shortfalls else GENERATED
        if self.error:
            return FAILED
        return INCOMPLETE if self.shortfalls else PASSED


@dataclass(frozen=True)
class StepMark:
    """The place of a run in a plan (`%%oci --plan`): step `index` of `count`, titled `title`."""

    plan: int
    index: int
    count: int
    title: str
    attempt: int = 1  # `%oci plan continue` and `retry` run a step again: its second attempt, ...

    def label(self) -> str:
        again = f", attempt {self.attempt}" if self.attempt > 1 else ""
        return f"plan {self.plan} · step {self.index} of {self.count}{again}"


@dataclass
class Run:
    """Everything one `%%oci` call did, kept for `%oci history`, `_oci` and transcripts. A step of a plan is
    a run too (`step`), its request the step's text."""

    request: str
    model: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    rounds: list[Round] = field(default_factory=list)
    status: Status = Status.RUNNING
    message: str = ""
    id: int = field(default_factory=lambda: next(_run_ids))
    started: float = field(default_factory=time.time)
    duration: float | None = None
    step: StepMark | None = None

    @property
    def max_rounds(self) -> int:
        return int(self.settings.get("max_rounds", len(self.rounds)))

    @property
    def final_code(self) -> str | None:
        """The code of the last round that produced any: the passing code when the run passed, or the
        candidate the user chose instead."""
        for round_ in self.rounds:
            if round_.used is not None:  # chosen after the run: it comes after every round
                return round_.candidates[round_.used].code
        for round_ in reversed(self.rounds):
            if round_.code is not None:
                return round_.code
        return None

    @property
    def verdict(self) -> Verdict | None:
        """What verified the answer of a run that passed: VERIFIED (the user's --check passed), AGREED (most
        candidates computed the same), DISAGREED (they did not), UNVERIFIED (one candidate, nothing checked
        it). None for a run that did not pass."""
        if self.status != PASSED or not self.rounds:
            return None
        last = self.rounds[-1]
        if self.settings.get("check"):
            return VERIFIED
        if last.agreed:
            return AGREED
        return DISAGREED if len(last.candidates) > 1 else UNVERIFIED

    def verdict_words(self) -> str:
        """The verdict as the user reads it: 'passed your check', '3 of 4 candidates agree', ..."""
        verdict, last = self.verdict, self.rounds[-1] if self.rounds else None
        if verdict == VERIFIED:
            return f"your check `{self.settings.get('check')}` passed"
        if verdict in (AGREED, DISAGREED) and last is not None:
            return last.agreement
        if verdict == UNVERIFIED and last is not None and last.single:
            return f"one candidate ({last.single}): nothing checked it"
        return "nothing checked it" if verdict == UNVERIFIED else ""

    def summary(self) -> str:
        n = len(self.rounds)
        took = f" · {self.duration:.1f} s" if self.duration is not None else ""
        if self.status == PASSED:
            names = listed(self.rounds[-1].defined, names_only=True) if self.rounds else ""
            defined = f" · defined {names}" if names else ""
            notes = self.rounds[-1].notes if self.rounds else []
            more = f" (+{len(notes) - 1} more)" if len(notes) > 1 else ""
            look = f" · to look at: {for_people(notes[0])}{more}" if notes else ""
            # "passed" only where something verified it: the user's check, or candidates that agree.
            if self.verdict in (VERIFIED, AGREED):
                said = f"passed in round {n} of {self.max_rounds}: {self.verdict_words()}"
            else:
                said = (
                    f"ran without error in round {n} of {self.max_rounds}, unverified: {self.verdict_words()}"
                )
            return f"{said}{took}{defined}{look}"
        if self.status == FAILED:
            return f"failed after {n} round{'s' * (n != 1)}{took}"
        if self.status == INCOMPLETE:
            last = self.rounds[-1]
            names = listed(last.defined, names_only=True)
            defined = f" · defined {names}" if names else ""
            rounds = f"{n} round{'s' * (n != 1)}"
            said = for_people(last.shortfalls[0])
            return f"ran without error but not done after {rounds}: {said}{took}{defined}"
        if self.status == TIMEOUT:
            return f"timed out in round {n} of {self.max_rounds}{took}"
        if self.status == NO_CODE:
            cut = self.rounds[-1].reply_cut if self.rounds else None
            why = {CUT_AT_MAX_TOKENS: ", cut at max_tokens", CUT_REPEATING: ", stopped repeating itself"}
            return f"no code in the reply of round {n}{why.get(cut, '')}{took}"
        if self.status == GENERATED:
            return f"code generated, not run (--no-run){took}"
        if self.status == DECLINED:
            return f"code of round {n} not run: declined{took}"
        if self.status == INTERRUPTED:
            return f"interrupted in round {n}{took}"
        return f"{self.status}: {self.message}{took}" if self.message else self.status

    def __repr__(self) -> str:
        return f"<oci run {self.id}: {self.summary()}, {self.request[:40]!r}>"
