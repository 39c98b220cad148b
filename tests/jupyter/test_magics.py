"""%oci subcommands, flags, settings and model choice, in a real IPython shell."""

import subprocess
import sys

import pytest
from IPython.core.error import UsageError

import oci_magic
from oci_magic.backends import llamacpp

FENCE = "```"


def usage_error(shell, cell: str) -> str:
    result = shell.run_cell(cell)
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    return str(result.error_in_exec)


def test_load_ext_prints_nothing_and_registers_both_magics():
    code = (
        "from IPython.testing.globalipapp import start_ipython\n"
        "ip = start_ipython()\n"
        "ip.run_line_magic('load_ext', 'oci_magic')\n"
        "print(sorted(k for k in ip.magics_manager.magics['cell'] if k == 'oci'),"
        " sorted(k for k in ip.magics_manager.magics['line'] if k == 'oci'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "['oci'] ['oci']\n"
    assert done.stderr == ""


@pytest.mark.parametrize(
    "cell, message",
    [
        ("%%oci --rounds -1\nx", "argument --rounds: must be 1 or more, got -1"),
        ("%%oci --rounds 0\nx", "argument --rounds: must be 1 or more, got 0"),
        ("%%oci --timeout -2\nx", "argument --timeout: must be 0 or more, got -2"),
        ("%%oci --temperature hot\nx", "expected a number, got 'hot'"),
        ("%%oci --rounds two\nx", "expected a whole number"),
        ("%%oci --max-tokens 0\nx", "argument --max-tokens: must be 1 or more"),
        ("%%oci --bogus\nx", "unrecognized arguments: --bogus"),
        ("%%oci --check 'unbalanced\nx", "cannot read the flags"),
        ("%%oci\n   \n", "write your request"),
        ("%oci frobnicate", "unknown subcommand 'frobnicate'; use one of: help, status"),
    ],
)
def test_bad_input_is_a_one_line_usage_error(shell, scripted, cell, message):
    scripted([])
    assert message in usage_error(shell, cell)


def test_settings_are_traits_and_flags_override_them(shell, scripted):
    scripted(
        [f"{FENCE}python\nraise ValueError({n})\n{FENCE}" for n in range(5)]
        + [f"{FENCE}python\npass\n{FENCE}"]
    )
    shell.run_line_magic("config", "OciMagics.max_rounds = 5")
    shell.run_line_magic("config", "OciMagics.exec_timeout = 7.5")
    shell.run_cell("%%oci\nfail a lot")
    run = oci_magic.last_run()
    assert len(run.rounds) == 5 and run.settings["max_rounds"] == 5 and run.settings["exec_timeout"] == 7.5
    shell.run_cell("%%oci --rounds 1 --timeout 2 --temperature 0.5\npass")
    settings = oci_magic.last_run().settings
    assert (settings["max_rounds"], settings["exec_timeout"], settings["temperature"]) == (1, 2.0, 0.5)


def test_invalid_trait_values_are_refused(shell):
    magics = shell.oci_magics
    from traitlets import TraitError

    with pytest.raises(TraitError, match="max_rounds must be 1 or more"):
        magics.max_rounds = 0
    with pytest.raises(TraitError, match="temperature must be 0 or more"):
        magics.temperature = -1.0


def test_help_version_history_reset(shell, scripted, capsys):
    scripted([f"{FENCE}python\nz = 1 / 0\n{FENCE}", f"{FENCE}python\nz = 1\n{FENCE}"])
    shell.run_line_magic("oci", "help")
    help_text = capsys.readouterr().out
    for flag in (
        "--rounds",
        "--model",
        "--temperature",
        "--max-tokens",
        "--timeout",
        "--no-run",
        "--new",
        "--check",
        "--no-context",
        "status | history",
    ):
        assert flag in help_text
    from oci_magic.jupyter.subcommands import SUBCOMMANDS

    for sub in SUBCOMMANDS.values():  # every subcommand, from the registry that dispatches them
        assert f"%oci {sub.name} {sub.arguments}".rstrip() + "  " in help_text and sub.summary in help_text
    assert list(SUBCOMMANDS)[:2] == ["help", "status"] and len(SUBCOMMANDS) == 13
    shell.run_line_magic("oci", "version")
    assert "oci-magic 0.1.0" in capsys.readouterr().out
    shell.run_line_magic("oci", "history")
    assert "no runs yet" in capsys.readouterr().out
    shell.run_cell("%%oci\nset z")
    capsys.readouterr()
    shell.run_line_magic("oci", "history")
    history = capsys.readouterr().out
    assert "ran without error in round 2 of 3" in history and "'set z'" in history
    assert "round 1: ZeroDivisionError: division by zero" in history and "round 2: passed" in history
    shell.run_line_magic("oci", "reset")
    assert "forgotten" in capsys.readouterr().out
    assert oci_magic.last_run() is not None  # reset forgets the conversation, not the record


def test_status_before_any_model_is_loaded(shell, tiny_gguf, capsys):
    llamacpp.release_cached()
    shell.run_line_magic("config", f"OciMagics.model = {str(tiny_gguf)!r}")
    shell.run_line_magic("oci", "status")
    out = capsys.readouterr().out
    assert f"model: {tiny_gguf}" in out and "not loaded yet" in out and "last run: none yet" in out


def test_model_subcommand_loads_and_shows_the_model(shell, tiny_gguf, capsys):
    shell.run_line_magic("oci", f"model {tiny_gguf}")
    out = capsys.readouterr().out
    assert "model: tiny-test-llama" in out and "chat format: template" in out
    assert llamacpp.cached_backend().path == tiny_gguf
    llamacpp.release_cached()


def test_model_choice_errors_say_how_to_fix(shell, tmp_path, monkeypatch):
    missing = tmp_path / "nothing.gguf"
    message = usage_error(shell, f"%%oci --model {missing}\nx")
    assert "no model file at" in message and "OCI_MAGIC_MODEL" in message
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    assert "is not a GGUF file" in usage_error(shell, f"%%oci --model {not_gguf}\nx")


def test_environment_variable_picks_the_model(shell, tiny_gguf, monkeypatch, capsys):
    from oci_magic.models.resolve import resolve_model

    monkeypatch.setenv("OCI_MAGIC_MODEL", str(tiny_gguf))
    assert resolve_model("") == (tiny_gguf, "$OCI_MAGIC_MODEL")
    shell.run_cell("%%oci --rounds 1 --max-tokens 4 --no-run\nanything")
    assert oci_magic.last_run().model == "tiny-test-llama"
    llamacpp.release_cached()


def test_gpu_layers_default_to_auto_and_status_says_what_was_offloaded(shell, tiny_gguf, capsys):
    from oci_magic.backends import llamacpp

    magics = shell.oci_magics
    assert magics.n_gpu_layers == "auto"
    shell.run_line_magic("config", "OciMagics.n_gpu_layers = 'all'")  # refused, the setting kept
    assert magics.n_gpu_layers == "auto"
    shell.run_line_magic("oci", f"model {tiny_gguf}")
    backend = llamacpp.cached_backend()
    assert backend.n_gpu_layers == -1  # auto: every layer, where llama.cpp has a GPU backend
    shell.run_line_magic("oci", "status")
    out = capsys.readouterr().out
    no_gpu = "none (this llama.cpp build has no GPU backend)"
    expected = "all (" if llamacpp.gpu_offload_supported() else no_gpu
    assert f"GPU layers: {expected}" in out
    assert "not loaded yet" not in out  # the loaded model is described once, as loaded
    llamacpp.release_cached()
