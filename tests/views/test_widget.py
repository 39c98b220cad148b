"""The widget view after real runs in a real IPython shell with ipywidgets."""

import time

import pytest
from helpers import BrokenBackend, GrammarBackend, fixed_reply

import oci_magic
from oci_magic.views.widget import UPDATE_INTERVAL

FENCE = "```"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def block(code: str, prose: str = "Here is the code:") -> str:
    return f"{prose}\n{FENCE}python\n{code}\n{FENCE}"


def shown(output_widget) -> str:
    """The text an Output widget holds (markdown, streams, text/plain), joined."""
    parts = []
    for output in output_widget.outputs:
        if output["output_type"] == "stream":
            parts.append(output["text"])
        else:
            data = output["data"]
            parts.append(data.get("text/markdown") or data.get("text/plain", ""))
    return "\n".join(parts)


def test_error_then_fix_reads_as_a_story(shell, scripted, widget_views, displays, capsys):
    scripted(
        [
            block("print('dividing')\nx = 1 / 0", prose="I will divide."),
            block("print('dividing again')\nx = 1 / 2", prose="Fixed: no division by zero."),
        ]
    )
    shell.run_cell("%%oci\nhalve one")
    run = oci_magic.last_run()
    assert run.status == "passed"
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ✗", "Round 2 ○") and view.tabs.selected_index == 1
    first, second = view.panels
    # each round's tab: reply, code, its own outputs, error, diff, figures
    assert "I will divide." in shown(first.reply) and first.reply_box.selected_index is None
    assert shown(first.code) == f"{FENCE}python\nprint('dividing')\nx = 1 / 0\n{FENCE}"
    assert shown(first.outputs) == "dividing\n" and shown(second.outputs) == "dividing again\n"
    assert "<details" in first.error.value and "ZeroDivisionError" in first.error.value
    assert "line 2: x = 1 / 0" in first.error.value  # collapsed to the last frame and the message
    assert first.error.layout.display is None
    # the passing round says what it defined, in its tab and in the summary
    assert (
        second.error.layout.display is None
        and "○ ran without error, unverified · defined x: float = 0.5" in second.error.value
    )
    assert "defined x" in view.status.value
    assert first.diff_box.layout.display == "none"  # nothing to compare the first round with
    assert second.diff_box.layout.display is None
    assert "-x = 1 / 0" in shown(second.diff) and "+x = 1 / 2" in shown(second.diff)
    assert second.diff_box.titles == ("changes from round 1 (+2 −2)",)
    assert "s to first token" in first.figures.value and "ran " in first.figures.value
    # The verdict is said once, in the status line; the final code is the open tab's, so it is not repeated.
    assert view.status.value.startswith("<b>○ ran without error in round 2 of 3")
    saying = [w for w in view.widget.children if "ran without error in round" in str(getattr(w, "value", ""))]
    assert saying == [view.status]
    assert view.final_code.layout.display == "none" and not view.final_code.outputs
    # the generated code's outputs and traceback went into the tabs, not below the cell
    printed = capsys.readouterr()
    assert "dividing" not in printed.out.splitlines() and "Traceback" not in printed.out + printed.err
    # one display, then one update that carries the static fallback
    assert [update for _, update in displays] == [False, True]
    final, _ = displays[-1]
    assert final[WIDGET_VIEW]["model_id"] == view.widget.model_id
    for code in ("x = 1 / 0", "x = 1 / 2"):
        assert code in final["text/plain"] and code in final["text/html"]
    assert "ran without error in round 2 of 3" in final["text/plain"]


def test_rich_outputs_and_figures_are_captured_in_the_round(shell, scripted, widget_views, monkeypatch):
    # a kernel computes every format; terminal IPython only text/plain
    formatter = shell.display_formatter
    monkeypatch.setattr(formatter, "active_types", list(formatter.format_types))
    shell.run_line_magic("matplotlib", "inline")
    scripted(
        [
            block(
                "import matplotlib.pyplot as plt\n"
                "from IPython.display import HTML, display\n"
                "display(HTML('<b>table</b>'))\n"
                "plt.plot([1, 3, 2])\n"
                "plt.show()\n"
                "6 * 7"
            )
        ]
    )
    shell.run_cell("%%oci\nplot")
    (panel,) = widget_views[0].panels
    kinds = [o["output_type"] for o in panel.outputs.outputs]
    assert kinds == ["display_data", "display_data", "execute_result"]
    assert "image/png" in panel.outputs.outputs[1]["data"]
    assert panel.outputs.outputs[0]["data"]["text/html"] == "<b>table</b>"
    assert panel.outputs.outputs[2]["data"]["text/plain"] == "42"
    assert oci_magic.last_run().rounds[0].outputs[1]["data"].keys() >= {"image/png"}


def test_streamed_reply_updates_are_throttled(shell, scripted, widget_views, comm_messages):
    words = 400
    scripted([block("ok = True", prose=" ".join(["word"] * words))], delay=0.004)
    started = time.monotonic()
    shell.run_cell("%%oci\nsay a lot")
    took = time.monotonic() - started
    (view,) = widget_views
    reply_id = view.panels[0].reply.comm.comm_id
    reply_updates = [
        data for comm_id, kind, data in comm_messages if comm_id == reply_id and kind == "comm_msg"
    ]
    tokens = len(oci_magic.last_run().rounds[0].reply.split(" "))
    assert tokens > words
    # a few updates a second at most, never one per token, and the reply did stream
    assert 2 <= len(reply_updates) <= took / UPDATE_INTERVAL + 2
    status_id = view.status.comm.comm_id
    status_updates = [1 for comm_id, kind, _ in comm_messages if comm_id == status_id and kind == "comm_msg"]
    assert len(status_updates) <= took / UPDATE_INTERVAL + 10
    assert len(comm_messages) < tokens / 2


def test_real_engine_streams_into_the_widget(shell, tiny_gguf, widget_views, comm_messages):
    """llama.cpp loads (progress shown), streams the reply into round 1, fails, and round 2 repairs."""
    from oci_magic.backends.llamacpp import load_cached, release_cached

    engine = load_cached(tiny_gguf, n_ctx=2048)
    prose = "abc " * 60 + "\n"
    shell.run_line_magic("config", "OciMagics.max_tokens = 400")
    oci_magic.set_backend(
        GrammarBackend(engine, [fixed_reply("v = 1 / 0", prose=prose), fixed_reply("v = 1 / 4", prose=prose)])
    )
    try:
        shell.run_cell("%%oci\nset v")
    finally:
        oci_magic.set_backend(None)
        release_cached()
    run = oci_magic.last_run()
    assert [r.status for r in run.rounds] == ["failed", "passed"]
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ✗", "Round 2 ○")
    second = view.panels[1]
    assert shown(second.reply) == run.rounds[1].reply and run.rounds[1].reply.startswith("abc abc")
    assert "tok/s" in second.figures.value and "prompt" in second.figures.value
    reply_updates = [1 for comm_id, kind, _ in comm_messages if comm_id == second.reply.comm.comm_id]
    # At most one update an interval while the reply streams, besides the round's start, its first tokens
    # and its final text: on a slow or busy machine the tokens come slower, so a bound in tokens would test
    # the machine's speed, not the view.
    assert len(reply_updates) <= run.rounds[1].generation_time / UPDATE_INTERVAL + 3


def test_model_load_shows_progress_in_the_widget(shell, tiny_gguf, widget_views, comm_messages):
    from oci_magic.backends.llamacpp import release_cached

    release_cached()
    shell.run_line_magic("config", f"OciMagics.model = {str(tiny_gguf)!r}")
    shell.run_line_magic("config", "OciMagics.max_tokens = 8")
    shell.run_cell("%%oci --rounds 1\nanything")
    release_cached()
    (view,) = widget_views
    progress_id = view.progress.comm.comm_id
    values = [
        d["state"]["value"] for c, k, d in comm_messages if c == progress_id and "value" in d.get("state", {})
    ]
    assert values and values[-1] == 1.0
    assert view.progress.layout.display == "none"  # hidden once loaded
    assert "tiny-test-llama" in view.header.value


def test_interrupt_is_shown(shell, scripted, widget_views):
    scripted([block("raise KeyboardInterrupt")])
    shell.run_cell("%%oci\nstop")
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ■",)
    assert "interrupted in round 1" in view.status.value


def test_run_again_reruns_a_round_once_the_cell_has_finished(shell, scripted, widget_views):
    scripted([block("counter = globals().get('counter', 0) + 1\nprint('run', counter)")])
    shell.run_cell("%%oci\ncount")
    (view,) = widget_views
    assert not view.run_again.disabled
    view.run_again.click()  # what a click in the frontend does once the kernel is idle
    assert shell.user_ns["counter"] == 2
    panel = view.panels[0]
    assert shown(panel.outputs) == "run 2\n" and "ran again at" in panel.figures.value
    assert oci_magic.last_run().rounds[0].output == "run 1\n"  # the record keeps what the run did


def test_text_view_is_unchanged_outside_a_kernel(shell, scripted, capsys):
    scripted([block("print('hello')")])
    shell.run_cell("%%oci\nsay hello")
    out = capsys.readouterr().out
    assert "── round 1 of 3" in out and "hello" in out and "══ ran without error" in out


def test_quiet_view_prints_only_the_outcome(shell, scripted, capsys):
    shell.run_line_magic("config", 'OciMagics.view = "quiet"')
    scripted([block("print('hello')")])
    shell.run_cell("%%oci\nsay hello")
    out = capsys.readouterr().out
    assert "── round" not in out and "hello\n" in out and "══ ran without error in round 1 of 3" in out


@pytest.mark.parametrize("value", ["widget", "text", "quiet", "auto"])
def test_view_setting_accepts_its_values_and_refuses_others(shell, value, caplog):
    magics = shell.oci_magics
    shell.run_line_magic("config", f"OciMagics.view = {value!r}")
    assert magics.view == value
    # %config does not raise a bad value: it logs why and keeps the setting as it was.
    shell.run_line_magic("config", "OciMagics.view = 'bogus'")
    assert magics.view == value
    assert "expected any of ['auto', 'widget', 'text', 'quiet'], not the str 'bogus'" in caplog.text


def test_the_final_code_is_shown_where_the_open_tab_holds_other_code(shell, scripted, widget_views):
    """The last round wrote no code: its tab is open and empty, so the code of the round before, which the
    run kept, is shown below the tabs."""
    scripted([block("x = 1 / 0"), "I cannot see how to fix this."])
    shell.run_cell("%%oci --rounds 2\nset x")
    (view,) = widget_views
    assert oci_magic.last_run().status == "no_code" and view.tabs.selected_index == 1
    assert view.final_code.layout.display is None and "x = 1 / 0" in shown(view.final_code)


def test_a_failing_backend_ends_the_widget_with_its_message(shell, scripted, widget_views):
    oci_magic.set_backend(BrokenBackend())
    shell.run_cell("%%oci\nanything")
    (view,) = widget_views
    assert "server went away" in view.status.value
    assert view.run_again.layout.display == "none"  # no code to run again


def test_a_model_that_cannot_load_says_so_in_the_widget(shell, tmp_path, widget_views):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    shell.run_line_magic("config", f"OciMagics.model = {str(broken)!r}")
    result = shell.run_cell("%%oci\nanything")
    assert "could not load" in str(result.error_in_exec)
    (view,) = widget_views
    assert "could not load the model" in view.status.value
    assert view.progress.layout.display == "none"


def test_a_huge_output_is_capped_in_the_tab_and_kept_in_the_record(shell, scripted, widget_views):
    scripted([block("print('y' * 200_000)")])
    shell.run_cell("%%oci\nshout")
    (panel,) = widget_views[0].panels
    (shown_output,) = panel.outputs.outputs
    assert len(shown_output["text"]) < 60_000 and "more characters not shown" in shown_output["text"]
    assert len(oci_magic.last_run().rounds[0].output) == 200_001


def test_a_repeated_round_is_marked_and_says_why(shell, scripted, widget_views):
    failing = block("x = 1 / 0")
    scripted([failing, failing, failing, failing, block("x = 1")])
    shell.run_cell("%%oci\nset x")
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ✗", "Round 2 ↻", "Round 3 ○")
    second = view.panels[1]
    assert "↻ not run: the same code as round 1, which failed" in second.error.value


def test_a_round_that_ran_but_left_the_request_undone_says_why(shell, scripted, widget_views):
    shell.user_ns["data"] = [3, 1, 2]
    scripted([block("print(sorted(data))"), block("data = [7, 8]; low = 0"), block("low = min(data)")])
    shell.run_cell("%%oci\nStore the smallest value of data in `low`.")
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ◐", "Round 2 ⊗", "Round 3 ○")
    first, second = view.panels[0], view.panels[1]
    assert "◐ ran without error but not done: `low` is not defined" in first.error.value
    assert "⊗ not run: it would replace your `data`" in second.error.value
    assert "ran without error in round 3 of 3" in view.status.value and "defined low" in view.status.value
    assert shell.user_ns["low"] == 1


def test_lines_left_out_are_shown_in_the_rounds_tab(shell, scripted, widget_views):
    shell.user_ns["data"] = [3, 1, 2]
    scripted([block("data = [7, 8]\nlow = min(data)")])
    shell.run_cell("%%oci\nStore the smallest value of data in `low`.")
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ○",)
    assert "line 1 left out: `data = ...` would replace your `data`" in view.panels[0].error.value
    assert shell.user_ns["low"] == 1 and shell.user_ns["data"] == [3, 1, 2]


def test_a_chat_format_the_model_cannot_use_says_how_to_fix_it(shell, tmp_path, widget_views):
    from tiny_gguf import write_tiny_gguf

    from oci_magic.backends import llamacpp

    bare = write_tiny_gguf(tmp_path / "bare.gguf", chat_template=None)
    shell.run_line_magic("config", f"OciMagics.model = {str(bare)!r}")
    shell.run_line_magic("config", "OciMagics.chat_format = 'template'")
    result = shell.run_cell("%%oci\nanything")
    assert "has no chat template" in str(result.error_in_exec)
    assert "chat_format = 'auto'" in str(result.error_in_exec)  # how to fix it
    (view,) = widget_views
    assert "could not load the model" in view.status.value and "has no chat template" in view.status.value
    assert view.progress.layout.display == "none"  # not stuck on "loading"
    assert llamacpp._cached is None  # nothing half-loaded kept


def test_what_the_checks_cannot_know_is_shown_and_the_round_passes(shell, scripted, widget_views):
    """A name the request only mentions, left undefined: the round passes, its tab and the summary say what
    to look at, and nothing of it went back to the model."""
    shell.user_ns["data"] = [3, 1, 2]
    backend = scripted([block("print(sorted(data))")])
    shell.run_cell("%%oci\nI tried my old helper sort_items on data but it is gone. Show them sorted.")
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ○",)
    note = "the request mentions `sort_items`; nothing of that name was defined"
    assert note in view.panels[0].error.value and note in view.status.value
    assert len(backend.calls) == 1


def test_every_loop_event_has_its_handler_in_the_views_table():
    from oci_magic.loop.events import EVENT_KINDS, LoopEvent
    from oci_magic.loop.records import Round, Run
    from oci_magic.views import View

    seen = []

    class Recording(View):
        pass

    for kind in EVENT_KINDS:  # each kind's own method records the kind and what came with it
        setattr(Recording, f"on_{kind}", lambda view, run, round_, text, kind=kind: seen.append((kind, text)))

    run, round_ = Run(request="x"), Round(index=1)
    for kind in EVENT_KINDS:
        seen.clear()
        Recording()(LoopEvent(kind, run, round_, text=f"text of {kind}"))
        assert seen == [(kind, f"text of {kind}")]


def test_candidates_side_by_side_and_one_click_runs_an_alternative(shell, scripted, widget_views):
    shell.run_cell("values = [1, 2, 3]")
    scripted([block("result = sum(values) + 1"), block("result = sum(values)"), block("result = 6")])
    shell.run_cell("%%oci --candidates 3\nput the sum of values in `result`")
    run = oci_magic.last_run()
    (view,) = widget_views
    (panel,) = view.panels
    assert run.verdict == "agreed" and view.tabs.titles == ("Round 1 ✓",)
    assert view.status.value.startswith("<b>✓ passed in round 1 of 3: 2 of 3 candidates agree")
    assert panel.candidates_box.layout.display is None
    assert panel.candidates_box.titles == (
        "3 candidates tried on a copy of your data: 2 of 3 candidates agree · running candidate 2",
    )
    heads = [row.children[0].value for row in panel.candidates.children]
    assert "group 2" in heads[0] and "group 1 (chosen)" in heads[1] and "group 1" in heads[2]
    assert "result: int = 7" in heads[0] and "result: int = 6" in heads[1]  # each one's result, side by side
    assert (
        shown(panel.candidates.children[0].children[1]) == f"{FENCE}python\nresult = sum(values) + 1\n{FENCE}"
    )
    # The alternatives (not the chosen one) have a button, usable once the cell has finished.
    assert [b.description for b in panel.use_buttons] == [
        "Use candidate 1 instead",
        "Use candidate 3 instead",
    ]
    assert shell.user_ns["result"] == 6 and not any(b.disabled for b in panel.use_buttons)
    panel.use_buttons[0].click()
    assert shell.user_ns["result"] == 7
    assert shown(panel.code) == f"{FENCE}python\nresult = sum(values) + 1\n{FENCE}"
    assert "candidate 1 ran at" in panel.figures.value
    # It is the run's answer from now on; without the JupyterLab extension the cell cannot change, said.
    assert run.rounds[0].used == 0 and run.final_code == "result = sum(values) + 1"
    assert "cell is unchanged: only the JupyterLab extension" in panel.figures.value


def test_an_unverified_run_is_not_marked_passed(shell, scripted, widget_views):
    scripted([block("y = 2")])
    shell.run_cell("%%oci\nset y")
    (view,) = widget_views
    assert view.tabs.titles == ("Round 1 ○",)
    assert view.status.value.startswith(
        "<b>○ ran without error in round 1 of 3, unverified: nothing checked it"
    )
    assert "passed" not in view.status.value
