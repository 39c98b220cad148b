"""The kernel executor in a real IPython shell: what generated code prints and displays is recorded as
nbformat outputs, shown in the cell (text view) or only collected (widget view)."""

from oci_magic.executors.kernel import KernelExecutor

CODE = (
    "from IPython.display import HTML, display\n"
    "print('hello')\n"
    "display(HTML('<b>bold</b>'))\n"
    "import sys; print('warn', file=sys.stderr)\n"
    "6 * 7"
)


def test_outputs_are_recorded_in_order_and_shown(shell, capsys):
    result = KernelExecutor(shell).run(CODE)
    assert result.success
    kinds = [(o["output_type"], o.get("name")) for o in result.outputs]
    assert kinds == [
        ("stream", "stdout"),
        ("display_data", None),
        ("stream", "stderr"),
        ("execute_result", None),
    ]
    assert result.outputs[1]["data"]["text/plain"] == "<IPython.core.display.HTML object>"
    assert result.outputs[3]["data"]["text/plain"] == "42"
    assert result.output == "hello\nwarn\n42"  # what the model reads: printed text, then Out[]
    printed = capsys.readouterr()
    assert "hello" in printed.out and "warn" in printed.err and "42" in printed.out


def test_collected_outputs_are_not_shown_in_the_cell(shell, capsys):
    seen = []
    result = KernelExecutor(shell, show_outputs=False).run(
        CODE + "\n1 / 0", on_output=lambda o: seen.append(len(o))
    )
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""  # neither the outputs nor IPython's traceback
    assert result.error.type == "ZeroDivisionError"
    assert [o["output_type"] for o in result.outputs] == ["stream", "display_data", "stream"]
    assert seen[0] == 1 and seen[-1] == 3 and seen == sorted(seen)  # each change reported as it happens
    # nothing stays patched after the run
    shell.run_cell("print('after')")
    assert capsys.readouterr().out == "after\n"


def test_clear_output_and_display_updates_act_on_the_record(shell):
    code = (
        "from IPython.display import display, clear_output, update_display\n"
        "print('gone')\n"
        "clear_output()\n"
        "display('first', display_id='d')\n"
        "update_display('second', display_id='d')\n"
        "print('kept')"
    )
    result = KernelExecutor(shell, show_outputs=False).run(code)
    assert [o["output_type"] for o in result.outputs] == ["display_data", "stream"]
    assert result.outputs[0]["data"]["text/plain"] == "'second'"
    assert result.output == "gone\nkept\n"  # the model still reads everything that was printed


def test_printed_text_beyond_the_limit_is_counted_not_kept(shell):
    result = KernelExecutor(shell, show_outputs=False, output_limit=100).run("print('x' * 1000)")
    assert len(result.output) == 100 and result.outputs[0]["text"] == "x" * 100


def test_the_error_knows_its_line_in_the_generated_code(shell):
    run = KernelExecutor(shell, show_outputs=False).run
    deep = run("import json\n\ndef parse(text):\n    return json.loads(text)\n\nparse('{')")
    assert deep.error.type == "JSONDecodeError" and deep.error.line == 4  # inside the library: the call site
    assert run("x = 1\ny = (\n").error.line == 2  # a syntax error: its own line
    assert run("x = 1\ny = undefined_name").error.line == 2


def test_a_huge_out_value_shows_its_head_and_tail_and_how_much_was_left_out(shell, capsys):
    # 3 MB of bytes: its repr is 12 MB of text (b'\x00...'), which a terminal used to get whole.
    result = KernelExecutor(shell, shown_limit=10_000).run("bytes(3_000_000)")
    assert result.success
    printed = capsys.readouterr().out
    assert len(printed) < 12_000
    assert printed.count("\\x00") > 2_000  # the head and the tail are there ...
    assert "characters not shown" in printed and printed.rstrip().endswith("\\x00'")  # ... and the end
    left_out = int(printed.split("… ")[1].split(" characters")[0].replace(",", ""))
    assert left_out == len(repr(bytes(3_000_000))) - 10_000
    # The record keeps its own capped copy (output_limit), the model reads that.
    assert len(result.outputs[-1]["data"]["text/plain"]) < 1_100_000


def test_a_checked_function_says_what_it_defined(shell, scripted):
    import oci_magic

    def mean_block(body: str) -> str:
        return f"```python\ndef mean(xs):\n    return {body}\n```"

    scripted([mean_block("sum(xs) / len(xs)"), mean_block("sum(xs) / len(xs) if xs else 0")])
    shell.run_line_magic("config", 'OciMagics.view = "quiet"')
    shell.run_cell('%%oci --check "assert mean([]) == 0"\nwrite a function mean(xs)')
    rounds = oci_magic.last_run().rounds
    assert [r.status for r in rounds] == ["failed", "passed"]
    assert [d.name for d in rounds[1].defined] == ["mean"]  # not "defined nothing": the check ran last
