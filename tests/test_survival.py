"""Every way a run can go wrong, survived in a real ipykernel: the kernel lives, the user's variables stay,
the model stays loaded, the record keeps every round, and the user reads what happened.

The cases are numbered as in the README's Safety section. Cases that need the real Gemma model, a browser,
a server or many runs are in test_interrupts.py, test_lab.py, test_privacy.py and test_stress.py.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from live_kernel import TESTS, LiveKernel

FENCE = "```"


def block(code: str) -> str:
    return f"Here is the code:\n{FENCE}python\n{code}\n{FENCE}"


@pytest.fixture(scope="module")
def kernel(tiny_gguf):
    kernel = LiveKernel()
    reply = kernel.run(
        "%load_ext oci_magic\n"
        "%config OciMagics.view = 'text'\n"
        f"%config OciMagics.model = {str(tiny_gguf)!r}\n"
        "work = {'hours': 3, 'rows': list(range(5))}"
    )
    assert reply.status == "ok", reply.text
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
    # PBKDF2 runs in C and looks at no signal: size it to run about 8 s here.
    started = time.perf_counter()
    hashlib.pbkdf2_hmac("sha256", b"x", b"y", 1_000_000)
    iterations = int(1_000_000 * 8 / (time.perf_counter() - started))
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
        kernel.run("%load_ext oci_magic\n%config OciMagics.view = 'text'")
        script(kernel, block("import time\ntime.sleep(60)"))
        kernel.client.execute("%%oci\nsleep")
        time.sleep(2)
        kernel.manager.restart_kernel(now=True)
        kernel.client.wait_for_ready(timeout=60)
        kernel.run(f"import sys; sys.path.insert(0, {str(TESTS)!r})")
        reply = kernel.run(
            f"%load_ext oci_magic\n%config OciMagics.model = {str(tiny_gguf)!r}\n"
            "%config OciMagics.view = 'text'"
        )
        assert reply.status == "ok", reply.text
        reply = kernel.run("%%oci --rounds 1 --max-tokens 8 --no-run\nanything", timeout=60)
        assert reply.status == "ok" and kernel.value("_oci.status") in ("generated", "no_code")
    finally:
        kernel.close()
