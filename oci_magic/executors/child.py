"""The process `SubprocessExecutor` starts: `python -I -u child.py JOB_DIR`.

It runs the parts of JOB_DIR/job.json ({"parts": [[filename, source], ...], "explain_asserts": bool}) one
after the other in one namespace, as `__main__`, and writes JOB_DIR/result.json: {"completed": true} or the
first error (type, message, traceback, part, line, and for a failed `assert` what its sides evaluated to).

It imports nothing from oci_magic, so that the code under test meets a plain interpreter. What it needs is
bound before that code runs, which may replace `os`, `json` or builtins. A process that ends without
result.json (os._exit, a signal, a cap) is reported by the parent.
"""

import ast
import json
import linecache
import os
import sys
import traceback

_dumps, _replace, _open, _exit = json.dumps, os.replace, open, os._exit
REPR_LIMIT = 500  # characters of an evaluated value in an assert's explanation
THIS_FILE = os.path.abspath(__file__)


def _short_repr(value):
    try:
        text = repr(value)
    except BaseException as exc:  # noqa: BLE001 - a broken __repr__ is the code's business
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    if len(text) > REPR_LIMIT:
        text = text[: REPR_LIMIT // 2] + " ... " + text[-REPR_LIMIT // 2 :]
    return text


def _evaluate(node, frame):
    code = compile(ast.Expression(body=node), frame.f_code.co_filename, "eval")
    return eval(code, frame.f_globals, dict(frame.f_locals))  # noqa: S307 - the code's own expression


def _call_text(node, source, frame):
    """The call as written when its arguments are literals, else with their values: `f(2)`, not `f(n)`."""
    written = ast.get_source_segment(source, node)
    if not isinstance(node, ast.Call):
        return written
    try:
        for arg in node.args + [keyword.value for keyword in node.keywords]:
            ast.literal_eval(arg)
        return written
    except ValueError:
        pass
    args = [_short_repr(_evaluate(arg, frame)) for arg in node.args]
    args += [f"{kw.arg}={_short_repr(_evaluate(kw.value, frame))}" for kw in node.keywords if kw.arg]
    return f"{ast.get_source_segment(source, node.func)}({', '.join(args)})"


def _innermost_frame(tb, filenames):
    """The deepest frame of the traceback that runs one of the parts (not a library's)."""
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in filenames:
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _line_in(tb, filename):
    found = _innermost_frame(tb, {filename})
    return found[1] if found else None


def explain_assert(tb, sources):
    """What a failed `assert` compared, in the words of the benchmark's feedback: the call and its
    expected and actual output; for other assertions, the assertion and the values of its calls."""
    found = _innermost_frame(tb, sources)
    if found is None:
        return None
    frame, line = found
    source = sources[frame.f_code.co_filename]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    asserts = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    if not asserts:
        return None
    test = asserts[-1].test
    try:
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            actual_node, expected_node = test.left, test.comparators[0]
            if isinstance(expected_node, ast.Call) and not isinstance(actual_node, ast.Call):
                actual_node, expected_node = expected_node, actual_node
            return (
                f"Input: {_call_text(actual_node, source, frame)}\n"
                f"Expected Output: {_short_repr(_evaluate(expected_node, frame))}\n"
                f"Actual Output: {_short_repr(_evaluate(actual_node, frame))}"
            )
        lines = [f"Failed assertion: {ast.get_source_segment(source, test)}"]
        calls = [node for node in ast.walk(test) if isinstance(node, ast.Call)][:3]
        for call in calls:
            text = ast.get_source_segment(source, call)
            lines.append(f"{text} returned {_short_repr(_evaluate(call, frame))}")
        return "\n".join(lines)
    except BaseException:  # noqa: BLE001 - re-evaluating may fail; the traceback still says enough
        return None


def _traceback_text(exc):
    """The traceback without this file's frames: what the code would show in a notebook."""
    described = traceback.TracebackException.from_exception(exc)
    described.stack = traceback.StackSummary.from_list(
        [frame for frame in described.stack if os.path.abspath(frame.filename) != THIS_FILE]
    )
    return "".join(described.format())


def main(job_dir):
    with _open(os.path.join(job_dir, "job.json"), encoding="utf-8") as handle:
        job = json.load(handle)
    parts = [(filename, source) for filename, source in job["parts"]]
    sources = dict(parts)
    for filename, source in parts:  # so that tracebacks show the lines
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    result = {"completed": True, "error": None}
    for filename, source in parts:
        try:
            exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - running it is the job
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are errors too
            tb = exc.__traceback__
            result["completed"] = False
            result["error"] = {
                "type": type(exc).__name__,
                "message": str(exc) if not isinstance(exc, SyntaxError) else exc.msg,
                "traceback": _traceback_text(exc),
                "part": filename,
                "line": exc.lineno if isinstance(exc, SyntaxError) else _line_in(tb, filename),
                "explanation": (
                    explain_assert(tb, sources)
                    if isinstance(exc, AssertionError) and job.get("explain_asserts")
                    else None
                ),
            }
            break
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - a replaced stream must not lose the result
            pass
    path = os.path.join(job_dir, "result.json")
    with _open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(_dumps(result))
    _replace(path + ".tmp", path)
    # Skip atexit handlers and non-daemon threads the code may have left behind.
    _exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
