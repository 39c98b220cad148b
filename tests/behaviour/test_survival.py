"""Every way a run can go wrong, survived in a real ipykernel: the kernel lives, the user's variables stay,
the model stays loaded, the record keeps every round, and the user reads what happened.

The cases are numbered as in the README's Safety section. Cases that need the real Gemma model, a browser,
a server or many runs are in test_interrupts.py, test_lab.py, test_privacy.py and test_stress.py.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import json
import threading
import time
import weakref

import pytest
from helpers import GrammarBackend, fixed_reply
from IPython.core.error import UsageError
from live_kernel import LiveKernel

import oci_magic
from oci_magic.bench.probes import rss
from oci_magic.views import static

FENCE = "```"


def block(code: str) -> str:
    return f"Here is the code:\n{FENCE}python\n{code}\n{FENCE}"


@pytest.fixture(scope="module")
def kernel(tiny_gguf):
    kernel = LiveKernel()
    kernel.load_oci(tiny_gguf, then="work = {'hours': 3, 'rows': list(range(5))}")
    yield kernel
    kernel.close()


def script(kernel: LiveKernel, *replies: str) -> None:
    """The kernel's next %%oci runs answer with `replies` (a scripted backend, for the loop's logic)."""
    reply = kernel.run(
        f"import oci_magic, helpers\noci_magic.set_backend(helpers.ScriptedBackend({list(replies)!r}))"
    )
    assert reply.status == "ok", reply.text


def assert_survived(kernel: LiveKernel) -> None:
    """The kernel is alive, answers, and still holds the user's work."""
    assert kernel.alive
    assert kernel.value("work") == {"hours": 3, "rows": [0, 1, 2, 3, 4]}


# -- 1. code that never ends -----------------------------------------------------------------------------
def test_never_ending_code_is_stopped_fed_back_and_the_loop_goes_on(kernel):
    # The loop swallows the first alarm; the alarm comes again and lands outside the try.
    endless = "while True:\n    try:\n        sum(range(1000))\n    except BaseException:\n        pass"
    script(kernel, block(endless), block("answer = 42"))
    reply = kernel.run("%%oci --timeout 1\ncount forever")
    assert reply.status == "ok" and "timed out after 1 s" in reply.stdout
    assert kernel.value("[r.status for r in _oci.rounds]") == ["timeout", "passed"]
    assert kernel.value("_oci.rounds[1].prompt") == "Execution result: \nExecution timed out."
    assert kernel.value("answer") == 42
    assert_survived(kernel)


def test_a_c_call_that_ignores_the_interrupt_is_reported_honestly(kernel):
    # PBKDF2 runs in C and looks at no signal: sized to run 12 s as measured here (7-12 s in the kernel).
    started = time.perf_counter()
    hashlib.pbkdf2_hmac("sha256", b"x", b"y", 1_000_000)
    iterations = int(1_000_000 * 12 / (time.perf_counter() - started))
    code = f"import hashlib\nhashlib.pbkdf2_hmac('sha256', b'x', b'y', {iterations})"
    script(kernel, block(code))
    reply = kernel.run("%%oci --timeout 1 --rounds 1\nhash hard")
    assert kernel.value("_oci.rounds[0].status") == "timeout"
    overrun = kernel.value("_oci.rounds[0].overrun")
    assert overrun > 2  # the alarm fired at 1 s; the call went on regardless
    assert "a C call that ignores interrupts ran" in reply.stdout
    # While it ran past its limit, the user was told why it did not stop.
    assert "does not respond to interrupts" in reply.stderr
    assert_survived(kernel)


# -- 2. code that would end the kernel -------------------------------------------------------------------
ENDINGS = [
    ("exit()", "exit() or quit() was called"),
    ("quit()", "exit() or quit() was called"),
    ("import sys\nsys.exit(3)", "SystemExit: 3"),
    ("import os\nos._exit(1)", "os._exit(1) was called"),
    ("import os\nos.abort()", "os.abort() was called"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)", "targets the kernel"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "targets the kernel"),
    ("import os, signal\nos.killpg(0, signal.SIGTERM)", "os.killpg(0, SIGTERM) targets the kernel"),
    ("import signal\nsignal.raise_signal(signal.SIGQUIT)", "signal.raise_signal(SIGQUIT) was called"),
]


def test_exits_and_signals_to_itself_leave_the_kernel_alive(kernel):
    # SIGQUIT ends a process only where its action is the default. A kernel started from a background job of
    # a non-interactive shell (CI, `nohup ... &`) inherits it ignored, and then the guard rightly lets it
    # through: give the kernel the default action, as an interactive start gives it.
    kernel.run("import signal\nsignal.signal(signal.SIGQUIT, signal.SIG_DFL)")
    for code, message in ENDINGS:
        script(kernel, block(code), block("ended = False"))
        reply = kernel.run("%%oci --rounds 2\nend it")
        assert reply.status == "ok", (code, reply.text)
        assert kernel.alive, code
        statuses = kernel.value("[r.status for r in _oci.rounds]")
        assert statuses == ["failed", "passed"], (code, statuses)
        # What the model was told in the repair round names the call.
        assert message in kernel.value("_oci.rounds[1].prompt"), code
    time.sleep(1)  # ipykernel shuts down after the cell when exit() got through
    assert_survived(kernel)
    # The guards were there only while generated code ran.
    kernel.run("import os, posix")
    restored = "[os._exit is posix._exit, os.kill is posix.kill, 'ask_exit' in vars(get_ipython())]"
    assert kernel.value(restored) == [True, True, False]


def test_a_child_process_forked_by_generated_code_still_exits(kernel):
    code = (
        "import multiprocessing\n"
        "child = multiprocessing.get_context('fork').Process(target=print, args=('child ran',))\n"
        "child.start(); child.join(10)\n"
        "print('child exit code', child.exitcode)"
    )
    script(kernel, block(code))
    reply = kernel.run("%%oci --rounds 1\nfork")
    assert "child exit code 0" in reply.stdout
    assert kernel.value("_oci.status") == "passed"
    assert_survived(kernel)


# -- 7. model files that cannot be loaded ------------------------------------------------------------------
@pytest.fixture(scope="module")
def bad_models(tiny_gguf, tmp_path_factory):
    from tiny_gguf import write_tiny_gguf

    folder = tmp_path_factory.mktemp("bad-models")
    data = tiny_gguf.read_bytes()
    files = {
        "truncated": data[: len(data) // 2],
        "cut in its header": data[:2000],
        "corrupt": data[:8] + (2**62).to_bytes(8, "little") + data[16:],
        "not gguf": b"PK\x03\x04" + bytes(1000),
    }
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f"{name.replace(' ', '-')}.gguf"
        paths[name].write_bytes(content)
    paths["unsupported architecture"] = write_tiny_gguf(folder / "arch.gguf", architecture="frobnicator")
    paths["missing"] = folder / "nowhere.gguf"
    return paths


MODEL_FILE_MESSAGES = {
    "truncated": "is truncated, a download cut short: delete it and download it again",
    "cut in its header": "failed to read key-value pairs",
    "corrupt": "is damaged or not a llama.cpp model",
    "not gguf": "is not a GGUF file (it starts with b'PK\\x03\\x04')",
    "unsupported architecture": "unknown model architecture: 'frobnicator'. This llama-cpp-python",
    "missing": "no model file at",
}


def test_bad_model_files_get_one_paragraph_and_no_crash(kernel, bad_models):
    kernel.run("oci_magic.set_backend(None)")
    for name, path in bad_models.items():
        reply = kernel.run(f"%%oci --model {path}\nadd numbers")
        # IPython shows a UsageError as its message alone, on stderr.
        assert reply.status == "error" and reply.stderr.startswith("UsageError: "), (name, reply.text)
        assert MODEL_FILE_MESSAGES[name] in reply.stderr, (name, reply.stderr)
        assert "\n" not in reply.stderr.strip(), name  # one paragraph
        assert kernel.alive, name
    # Too big for memory: refused before llama.cpp allocates anything.
    kernel.run("%config OciMagics.n_ctx = 60_000_000")
    reply = kernel.run("%%oci\nadd numbers")
    kernel.run("%config OciMagics.n_ctx = 4096")
    assert reply.status == "error" and "n_ctx" in reply.stderr and "memory" in reply.stderr, reply.text
    # The good model still loads and answers afterwards.
    reply = kernel.run("%%oci --rounds 1 --max-tokens 8 --no-run\nadd numbers")
    assert reply.status == "ok" and kernel.value("_oci.model") == "tiny-test-llama"
    assert_survived(kernel)


# -- 10. asking before running ----------------------------------------------------------------------------
def test_confirm_asks_through_the_frontend_and_no_means_not_run(kernel):
    script(kernel, block("ran = 'yes'"))
    kernel.run("ran = 'no'")
    reply = kernel.run("%%oci --confirm\nset ran", answers=["n"])
    assert reply.prompts == ["oci · run the code of round 1? [y]es / [n]o / [a]ll rounds of this call: "]
    assert kernel.value("ran") == "no"
    assert kernel.value("[_oci.status, _oci.rounds[0].code, _oci.rounds[0].executed]") == [
        "declined",
        "ran = 'yes'",
        False,
    ]
    assert "not run: declined" in reply.stdout


def test_confirm_yes_runs_each_round_and_all_stops_asking(kernel):
    script(kernel, block("1 / 0"), block("ran = 'fixed'"))
    reply = kernel.run("%%oci --confirm\nset ran", answers=["maybe", "y", "y"])
    assert len(reply.prompts) == 3 and reply.prompts[1].startswith("oci · please answer y")
    assert kernel.value("[_oci.status, ran]") == ["passed", "fixed"]
    script(kernel, block("1 / 0"), block("ran = 'all'"))
    kernel.run("%config OciMagics.confirm = True")
    reply = kernel.run("%%oci\nset ran", answers=["a"])
    kernel.run("%config OciMagics.confirm = False")
    assert len(reply.prompts) == 1 and kernel.value("[_oci.status, ran]") == ["passed", "all"]


def test_confirm_without_a_frontend_that_answers_runs_nothing(kernel):
    script(kernel, block("ran = 'unasked'"))
    kernel.run("ran = 'no'")
    reply = kernel.run("%%oci --confirm\nset ran")  # like nbclient: input() cannot be answered
    assert kernel.value("ran") == "no"
    assert kernel.value("_oci.status") == "error"
    assert "this frontend cannot answer questions" in reply.stdout
    assert kernel.value("_oci.rounds[0].code") == "ran = 'unasked'"  # the code is kept
    assert_survived(kernel)


def test_no_run_never_executes(kernel):
    script(kernel, block("ran = 'never'"))
    kernel.run("ran = 'no'")
    kernel.run("%%oci --no-run\nset ran")
    assert kernel.value("[ran, _oci.status]") == ["no", "generated"]


# -- 11. a kernel restarted in the middle of a run -----------------------------------------------------
def test_a_restart_mid_run_hangs_nothing_and_the_new_kernel_works(tiny_gguf):
    kernel = LiveKernel()
    try:
        kernel.load_oci()
        script(kernel, block("import time\ntime.sleep(60)"))
        kernel.client.execute("%%oci\nsleep")
        time.sleep(2)
        kernel.restart()
        kernel.load_oci(tiny_gguf)
        reply = kernel.run("%%oci --rounds 1 --max-tokens 8 --no-run\nanything", timeout=60)
        assert reply.status == "ok" and kernel.value("_oci.status") in ("generated", "no_code")
    finally:
        kernel.close()


# -- 3. huge outputs ---------------------------------------------------------------------------------------
def test_a_value_the_code_shows_is_not_kept_by_the_kernels_caches(kernel):
    """In ipykernel (its own displayhook and display publisher): once the user drops the name, nothing else
    holds a value that generated code displayed."""
    code = "class Big(str):\n    pass\n\nbig = Big('x' * 10_000_000)\nprint(big[:20])\nbig"
    for view in ("text", "widget"):
        script(kernel, block(code))
        kernel.run(f"%config OciMagics.view = {view!r}")
        reply = kernel.run("%%oci --rounds 1\nmake a big string")
        assert reply.status == "ok", reply.text
        setup = kernel.run("import gc, weakref\nbig_ref = weakref.ref(big)\ndel big\ngc.collect()")
        assert setup.status == "ok", setup.text
        assert kernel.value("big_ref() is None") is True, kernel.value(
            "[type(r).__name__ for r in gc.get_referrers(big_ref())]"
        )
    kernel.run("%config OciMagics.view = 'auto'")
    assert_survived(kernel)


# -- 3. huge outputs in a real IPython shell --------------------------------------------------------------
def record_size(run) -> int:
    """Characters a run's record holds in outputs and text."""
    return sum(len(r.output) + len(json.dumps(r.outputs)) + len(r.reply) for r in run.rounds)


def test_a_million_lines_are_shown_capped_kept_capped_and_counted(shell, scripted, capsys):
    scripted([block("for i in range(1_000_000):\n    print(i)")])
    shell.run_cell("%%oci --rounds 1\ncount to a million")
    run = oci_magic.last_run()
    printed = sum(len(str(i)) + 1 for i in range(1_000_000))
    (round_,) = run.rounds
    assert run.status == "passed"
    assert len(round_.output) == 1_000_000 and round_.output.startswith("0\n1\n2\n")
    assert round_.hidden_chars == printed - 1_000_000
    shown = capsys.readouterr().out
    assert 200_000 <= len(shown) < 210_000  # the cell shows the first 200,000 characters, then says so
    assert f"… {printed - 200_000:,} more characters printed, not shown here" in shown
    # the model reads a trimmed part, told how much more there was
    feedback = shell.oci_magics.conversation.messages[-1]["content"]
    assert len(feedback) < run.settings["feedback_chars"] + 100
    assert f"({printed - 1_000_000} more characters printed, not kept)" in feedback
    assert record_size(run) < 3_000_000


def output_history(shell) -> dict:
    """IPython's output history (IPython 9 keeps every display and printed piece), as bundles by count."""
    outputs = getattr(shell.history_manager, "outputs", {})
    return {count: [output.bundle for output in items] for count, items in outputs.items()}


def test_a_100_mb_string_is_capped_in_the_record_and_the_widget(shell, scripted, widget_views):
    # A str subclass weighs what a string weighs but can be weakly referenced: once the user's own name for
    # it is gone, the test sees whether anything else (IPython's `_`, `_N`, Out, output history) keeps it.
    code = block("class Big(str):\n    pass\n\nbig = Big('x' * 100_000_000)\nprint(big)\nbig")
    scripted([code] * 3)
    sizes, history_before = [], len(json.dumps(output_history(shell)))
    for _ in range(3):
        shell.run_cell("%%oci --rounds 1\nmake a big string")
        big = weakref.ref(shell.user_ns.pop("big"))
        gc.collect()
        if big() is not None:
            holders = [type(r).__name__ for r in gc.get_referrers(big())]
            raise AssertionError(f"the 100 MB value outlived the run, held by {holders}")
        sizes.append(rss())
    assert len(json.dumps(output_history(shell))) - history_before < 100_000
    run = oci_magic.last_run()
    assert run.status == "passed"
    (round_,) = run.rounds
    stream, result = round_.outputs
    assert len(stream["text"]) == 1_000_000
    assert result["data"]["text/plain"].endswith("characters not kept")
    assert len(result["data"]["text/plain"]) < 1_000_100
    assert record_size(run) < 5_000_000
    tab_text = "".join(o.get("text", "") for o in widget_views[-1].panels[0].outputs.outputs)
    assert len(tab_text) < 60_000 and "more characters not shown" in tab_text
    # The fallback text beside the widget (what nbconvert shows) is an excerpt too.
    assert len(static.run_text(run)) < 2_000 and len(static.run_html(run)) < 3_000
    # Each run keeps its few MB of record, not copies of the 100 MB string.
    print(f"process memory after each run: {[round(s / 2**20) for s in sizes]} MiB")
    assert sizes[2] - sizes[0] < 30 * 2**20


def test_generated_values_stay_out_of_ipython_caches_and_the_users_own_stay(shell, scripted):
    """What generated code displays is the run's (in its record), not IPython's `_`, `_N`, Out or output
    history; what the user's own cells put there before is left exactly as it was."""
    shell.run_cell("'the user says ' + 'hello'", store_history=True)
    count = shell.execution_count - 1
    user_history = copy.deepcopy(output_history(shell))  # IPython appends to its bundles in place
    cached = {name: shell.user_ns.get(name) for name in ("_", "__", "___", f"_{count}")}
    hidden, out = dict(shell.user_ns_hidden), dict(shell.user_ns["_oh"])
    scripted([block("print('printed by the code')\n'shown by the code'")])
    shell.run_cell("%%oci --rounds 1\nshow something")
    assert oci_magic.last_run().status == "passed"
    assert {name: shell.user_ns.get(name) for name in cached} == cached
    assert shell.user_ns_hidden == hidden and shell.user_ns["_oh"] == out
    after = output_history(shell)
    # The %%oci cell's own text (the view's listing of the round) is the user's cell's; the code's own
    # printed pieces and its Out[] value are not kept.
    bundles = [bundle for items in after.values() for bundle in items]
    assert "printed by the code" not in [piece for bundle in bundles for piece in bundle.get("stream", [])]
    assert "'shown by the code'" not in [bundle.get("text/plain") for bundle in bundles]
    assert all(after.get(n) == bundles for n, bundles in user_history.items())
    assert oci_magic.last_run().rounds[0].outputs[-1]["data"]["text/plain"] == "'shown by the code'"


# -- 4. replies without code, cut short, looping, or not even valid UTF-8 -------------------------------
@pytest.fixture(scope="module")
def engine(tiny_gguf):
    """The real engine on the tiny model; a test installs it with oci_magic.set_backend, which lasts for that
    test only (the shell fixture gives every test a fresh OciMagics)."""
    from oci_magic.backends.llamacpp import LlamaCppBackend

    return LlamaCppBackend(tiny_gguf, n_ctx=1024)


def test_a_random_reply_has_no_code_and_says_it_was_cut(shell, engine, capsys):
    """The random-weight model writes arbitrary bytes, invalid UTF-8 among them, until max_tokens."""
    oci_magic.set_backend(engine)
    shell.run_cell("%%oci --max-tokens 60\nanything")
    run = oci_magic.last_run()
    (round_,) = run.rounds
    assert run.status == "no_code" and round_.generated_tokens == 60
    assert round_.reply_cut == "max_tokens" and round_.reply.encode("utf-8")  # text, whatever the bytes
    out = capsys.readouterr().out
    assert "no code in the reply of round 1, cut at max_tokens" in out


def test_prose_only_is_a_clear_no_code_round(shell, engine, capsys):
    prose = 'root ::= "I would rather explain: sort the list, then take the middle element."'
    oci_magic.set_backend(GrammarBackend(engine, [prose]))
    shell.run_cell("%%oci --max-tokens 100\nmedian")
    run = oci_magic.last_run()
    assert run.status == "no_code" and run.rounds[0].reply_cut is None
    assert "no code in the reply of round 1" in capsys.readouterr().out


def test_a_looping_reply_is_stopped_after_its_first_copy(shell, engine):
    # A grammar with no end: the model must write print(x) forever.
    looping = 'root ::= "```python\\nx = 1\\n" lines\nlines ::= "print(x)\\n" lines'
    oci_magic.set_backend(GrammarBackend(engine, [looping]))
    shell.run_cell("%%oci --max-tokens 300 --rounds 1\nloop")
    run = oci_magic.last_run()
    (round_,) = run.rounds
    assert round_.reply_cut == "repetition" and round_.generated_tokens < 200
    assert round_.reply == "```python\nx = 1\nprint(x)\n" and round_.code == "x = 1\nprint(x)"
    assert run.status == "passed" and round_.output == "1\n"


# -- 5. context overflow ----------------------------------------------------------------------------------
def test_long_tracebacks_across_rounds_are_trimmed_to_fit(shell, engine):
    # Five different failing programs (the same one twice would not run again).
    codes = [f"raise ValueError('{n}' * 3000)" for n in range(5)]
    oci_magic.set_backend(GrammarBackend(engine, [fixed_reply(code) for code in codes]))
    shell.run_line_magic("config", "OciMagics.feedback_chars = 500")
    # The tiny model's tokenizer spends about a token a character: a short system prompt leaves room.
    shell.run_line_magic("config", "OciMagics.system_prompt = 'Write Python.'")
    shell.run_cell("%%oci --rounds 5 --max-tokens 100\nfail loudly")
    run = oci_magic.last_run()
    assert run.status == "failed" and [r.status for r in run.rounds] == ["failed"] * 5
    assert all(r.prompt_tokens <= 1024 - 100 for r in run.rounds)
    # without trimming the fifth prompt would hold every earlier round
    assert run.rounds[4].prompt_tokens < run.rounds[0].prompt_tokens + 4 * 200


def test_a_request_too_long_for_the_context_says_the_limit(shell, engine, capsys):
    oci_magic.set_backend(engine)
    shell.run_cell("%%oci --max-tokens 100\n" + "explain this number " * 200)
    run = oci_magic.last_run()
    assert run.status == "error"
    assert "leaves 924 for it (n_ctx minus max_tokens)" in run.message
    assert "exceed context window" not in capsys.readouterr().out


# -- 8. two runs at once ------------------------------------------------------------------------------------
def test_runs_from_threads_are_serialized_and_give_the_same_replies(shell, engine):
    oci_magic.set_backend(engine)
    shell.run_cell("%%oci --new --no-run --max-tokens 40\nwrite something")
    alone = oci_magic.last_run().rounds[0].reply
    runs = []

    def run_one():
        shell.run_cell_magic("oci", "--new --no-run --max-tokens 40", "write something")
        runs.append(oci_magic.last_run())

    threads = [threading.Thread(target=run_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(runs) == 3 and [run.rounds[0].reply for run in runs] == [alone] * 3
    # serialized: no two runs overlapped in time
    spans = sorted((run.started, run.started + run.duration) for run in runs)
    assert all(earlier[1] <= later[0] + 0.01 for earlier, later in zip(spans, spans[1:], strict=False))


def test_generated_code_cannot_start_a_run_inside_a_run(shell, scripted):
    scripted([block("get_ipython().run_cell_magic('oci', '', 'again')"), block("nested = False")])
    shell.run_cell("%%oci\nrecurse")
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["failed", "passed"]
    assert run.rounds[0].error.type == "UsageError"
    assert "the code it runs cannot start another %%oci" in run.rounds[0].error.message


# -- 9. bad flags and settings ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell, message",
    [
        ("%%oci --rounds -1\nx", "argument --rounds: must be 1 or more, got -1"),
        ("%%oci --temperature x\nx", "argument --temperature: expected a number, got 'x'"),
        ("%%oci --model oci-ds-99b\nx", "unknown model 'oci-ds-99b' (from --model / OciMagics.model)"),
        (
            "%%oci --cells some\nx",
            "argument --cells: invalid choice: 'some' (choose from 'final', 'all', 'none')",
        ),
    ],
)
def test_bad_flags_are_usage_errors_naming_the_valid_values(shell, cell, message):
    with pytest.raises(UsageError) as error:
        shell.run_cell_magic("oci", cell.splitlines()[0].removeprefix("%%oci "), "x")
    assert message in str(error.value)
    if "model" in cell:
        assert "oci-ds-6.7b" in str(error.value) and "small" in str(error.value)


def test_an_unwritable_model_cache_says_how_to_fix_it(shell, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HF_HUB_CACHE", str(blocker / "cache"))
    with pytest.raises(UsageError, match="the model cache is not writable .*Set HF_HUB_CACHE to a folder"):
        shell.run_line_magic("oci", "pull oci-ds-6.7b")


@pytest.mark.isolated  # native code: a crash fails this test alone
# -- 13. AMX ------------------------------------------------------------------------------------------------
def test_amx_builds_load_quantized_models_without_repacking(small_model, monkeypatch):
    from oci_magic.backends import llamacpp

    real_info = llamacpp.system_info()
    monkeypatch.setattr(llamacpp, "_system_info", lambda: real_info + " AMX_INT8 = 1 |")
    assert llamacpp.repacking_enabled("auto") is False and llamacpp.repacking_enabled("on") is True
    backend = llamacpp.LlamaCppBackend(small_model, n_ctx=512, cpu_repack="auto")
    try:
        assert backend.info()["weight repacking"] == "off (AMX workaround)"
        reply = backend.stream_chat([{"role": "user", "content": "def add(a, b):"}], max_tokens=8)
        assert "".join(reply) and reply.stats.generated_tokens == 8
    finally:
        backend.close()


def test_repacking_forced_on_is_refused_before_loading_where_llama_cpp_uses_amx(
    shell, small_model, widget_views, monkeypatch
):
    """The crash of `cpu_repack = "on"` on an AMX build (FACTS: first decode dies in ggml's AMX matmul) is
    refused before anything is loaded: the kernel, its variables and the model already loaded survive."""
    from oci_magic.backends import llamacpp
    from oci_magic.errors import ModelLoadError

    real_info = llamacpp.system_info()
    amx = "AMX" in real_info
    monkeypatch.setattr(llamacpp, "_system_info", lambda: real_info + ("" if amx else " AMX_INT8 = 1 |"))

    def no_load(*args, **kwargs):
        raise AssertionError("llama.cpp was asked to load the model")

    import llama_cpp

    monkeypatch.setattr(llama_cpp, "Llama", no_load)
    with pytest.raises(ModelLoadError) as refused:
        llamacpp.LlamaCppBackend(small_model, n_ctx=512, cpu_repack="on")
    message = str(refused.value)
    assert "cpu_repack = 'on' is refused" in message and "AMX" in message and "issue 20824" in message
    assert "OciMagics.cpu_repack = 'off' (the default)" in message and "-DGGML_NATIVE=OFF" in message
    assert llamacpp.crashing_settings(cpu_repack="auto") is None
    assert llamacpp.crashing_settings(cpu_repack="off") is None

    # Through %%oci: a one-line error naming the fix, the widget says it, the user's variables stay.
    shell.user_ns["kept"] = [1, 2, 3]
    shell.run_line_magic("config", f"OciMagics.model = {str(small_model)!r}")
    shell.run_line_magic("config", 'OciMagics.cpu_repack = "on"')
    with pytest.raises(UsageError, match="cpu_repack = 'on' is refused"):
        shell.run_cell("%%oci\nanything").raise_error()
    assert shell.user_ns["kept"] == [1, 2, 3]
    assert "is refused: this llama.cpp build uses AMX" in widget_views[0].status.value
    assert llamacpp.cached_backend() is None or llamacpp.cached_backend().repack is False


def test_confirm_with_the_widget_shows_the_code_and_the_refusal(shell, scripted, widget_views, monkeypatch):
    asked = []
    monkeypatch.setattr("builtins.input", lambda question: asked.append(question) or "n")
    scripted([block("ran = True")])
    shell.run_cell("%%oci --confirm\nset ran")
    run = oci_magic.last_run()
    assert run.status == "declined" and "ran" not in shell.user_ns and len(asked) == 1
    (view,) = widget_views
    assert "ran = True" in str(view.panels[0].code.outputs)  # the code was on screen when asked
    assert view.tabs.titles[0].startswith("Round 1 ⊘")
    assert "not run: declined" in view.status.value
