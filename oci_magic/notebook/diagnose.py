"""What the failing code saw: the debugger's view of an error, for the model's feedback.

A traceback says *where* code failed; a small model repairing it also needs *what* was there (LDB,
"Debug like a Human"): the failing line of the generated code, the values of the names it uses (type, shape,
columns, first rows), the keys, columns, attributes or names that do exist for a KeyError, AttributeError or
NameError (closest first), the folder's files for a missing file, and a peek of any file the line reads.
Library frames between the code and the error are collapsed to one line each run.

Everything here reads values that already exist (no expression of the code is evaluated again), and every
description is capped: describing a 10 GB DataFrame costs what describing a small one does.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import os
import traceback
from pathlib import Path
from types import FrameType, ModuleType, TracebackType
from typing import Any

from oci_magic.notebook.peeks import file_peek
from oci_magic.notebook.summary import describe_value

__all__ = ["compact_traceback", "failure_state"]

STATE_CHARS = 1200  # the state block's share of the feedback
_SHOWN_KEYS = 25


def _frames(tb: TracebackType | None) -> list[tuple[FrameType, int]]:
    frames = []
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _library(filename: str) -> str:
    """ "pandas" for .../site-packages/pandas/core/frame.py; the file's name otherwise."""
    parts = Path(filename).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            return parts[parts.index(marker) + 1].removesuffix(".py")
    if "lib" in parts and any(part.startswith("python3") for part in parts):
        return "the standard library"
    return Path(filename).name


def _short_path(filename: str) -> str:
    """pandas/core/frame.py for .../site-packages/pandas/core/frame.py: where in the library, not the disk."""
    parts = Path(filename).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1 :])
    return filename


def compact_traceback(exc: BaseException, tb: TracebackType | None, own_file: str) -> str:
    """The traceback from the generated code on: its own frames and the last frame in full, the library
    frames between them as one line a run; only the exception that reached the code (no chained ones)."""
    summary = traceback.extract_tb(tb)
    lines = ["Traceback (most recent call last):"]
    skipped: list[str] = []

    def flush() -> None:
        if skipped:
            libraries = ", ".join(dict.fromkeys(skipped))
            lines.append(f"  ... {len(skipped)} frame{'s' * (len(skipped) != 1)} in {libraries} ...")
            skipped.clear()

    for index, frame in enumerate(summary):
        if frame.filename == own_file or index == len(summary) - 1:
            flush()
            where = "your code" if frame.filename == own_file else _short_path(frame.filename)
            lines.append(f'  File "{where}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
        else:
            skipped.append(_library(frame.filename))
    flush()
    lines += [line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc)]
    return "\n".join(lines)


def _statement(tree: ast.AST, line: int) -> ast.stmt | None:
    """The innermost statement that spans `line`."""
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if (
                best is None
                or node.lineno >= best.lineno
                and (node.end_lineno or 0) <= (best.end_lineno or 0)
            ):
                best = node
    return best


def _header(node: ast.stmt) -> list[ast.AST]:
    """The parts of a statement evaluated on its own line: a for loop's iterable, not its body."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target, node.iter]
    if isinstance(node, (ast.If, ast.While)):
        return [node.test]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return list(node.items)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return list(node.decorator_list)
    return [node]


def _used_names(node: ast.stmt) -> list[str]:
    names: dict[str, None] = {}
    for part in _header(node):
        for child in ast.walk(part):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                names[child.id] = None
    return list(names)


def _files_named(tree: ast.AST, folder: Path) -> list[str]:
    """The string constants of the code that name existing files, in order."""
    found: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 300:
            path = Path(node.value) if Path(node.value).is_absolute() else folder / node.value
            try:
                if "\n" not in node.value and path.is_file():
                    found[node.value] = None
            except (OSError, ValueError):
                continue
    return list(found)


def misread_separator(value: Any) -> str | None:
    """The separator a DataFrame's column names still hold ("';'"): the file was read with the wrong one."""
    columns = getattr(value, "columns", None)
    if columns is None or not hasattr(value, "iloc"):
        return None
    for separator, name in ((";", "';'"), ("\t", "tab ('\\t')"), ("|", "'|'")):
        if any(isinstance(column, str) and separator in column for column in columns):
            return name
    return None


def _misread_table(value: Any) -> list[str]:
    name = misread_separator(value)
    return (
        [f"Its column names contain {name}: the file is separated by {name}, not read that way."]
        if name
        else []
    )


def _lookup(name: str, frame: FrameType) -> tuple[bool, Any]:
    for scope in (frame.f_locals, frame.f_globals):
        if name in scope:
            return True, scope[name]
    return False, None


def _keys_of(value: Any) -> tuple[str, list[Any]] | None:
    """(what they are, the keys) of a mapping-like value: a DataFrame's columns, a dict's keys."""
    columns = getattr(value, "columns", None)
    if columns is not None and hasattr(value, "iloc"):
        return "columns", list(columns)
    if isinstance(value, dict):
        return "keys", list(value)
    index = getattr(value, "index", None)
    if index is not None and hasattr(value, "iloc") and len(index) <= 1000:  # a Series
        return "index labels", list(index)
    return None


def _closest(wanted: str, candidates: list[Any]) -> list[Any]:
    """Candidates, the closest to `wanted` first (case and spaces ignored), then the rest in order."""
    text = {candidate: str(candidate).strip().lower() for candidate in candidates}
    near = difflib.get_close_matches(
        wanted.strip().lower(), list(dict.fromkeys(text.values())), n=5, cutoff=0.5
    )
    ranked = [c for n in near for c in candidates if text[c] == n]
    return list(dict.fromkeys(ranked + candidates))


def _listing(items: list[Any], limit: int = _SHOWN_KEYS) -> str:
    shown = ", ".join(repr(item) for item in items[:limit])
    return shown + (f", … {len(items) - limit} more" if len(items) > limit else "")


def _looked_up_in(statement: ast.stmt | None, wanted: Any) -> list[ast.expr]:
    """The expressions the statement subscripts with the constant `wanted` (`x[-1]`, `df['a']`)."""
    found = []
    for node in ast.walk(statement) if statement is not None else ():
        if isinstance(node, ast.Subscript):
            try:
                key = ast.literal_eval(node.slice)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            if type(key) is type(wanted) and key == wanted:
                found.append(node.value)
    return found


def _missing_key(
    exc: KeyError, names: list[tuple[str, Any]], statement, *, raised_in: str, looked_up_by: str = ""
) -> list[str]:
    """What exists instead of the missing key; `looked_up_by` is the type whose [] raised ("DataFrame")."""
    wanted = exc.args[0] if exc.args else ""
    notes = []
    looked_up_in = _looked_up_in(statement, wanted)
    subscripted = {node.id for node in looked_up_in if isinstance(node, ast.Name)}
    if looked_up_in and not subscripted:
        # `df['a'].str.split(expand=True)[-1]`: the key was looked up in what an expression made, not in a
        # variable; the variables' keys would mislead.
        notes.append(f"{wanted!r} was looked up in the result of `{ast.unparse(looked_up_in[0])}`")
        names = []
    for name, value in names:
        if subscripted and name not in subscripted:
            continue
        keys = _keys_of(value)
        if keys is None:
            continue
        kind, items = keys
        if wanted in items if isinstance(wanted, (str, int, float, tuple)) else False:
            continue
        ranked = _closest(str(wanted), items)
        notes.append(f"{wanted!r} is not among {name}'s {kind}, which are: {_listing(ranked)}")
    if isinstance(wanted, int) and not isinstance(wanted, bool) and "pandas" in Path(raised_in).parts:
        container = ast.unparse(looked_up_in[0]) if looked_up_in else ""
        notes.append(
            f"pandas' [] looks up labels, not positions, and no label is {wanted!r}: for positions use .iloc"
            + _by_position(container, wanted, looked_up_by)
        )
    return notes


def _by_position(container: str, position: int, kind: str) -> str:
    """The lookup by position written out: `parts.iloc[:, -1]` (its last column) for a DataFrame."""
    which = {0: "first", -1: "last"}.get(position, f"at position {position}")
    if container and kind == "DataFrame":
        return f": `{container}.iloc[:, {position}]` is its {which} column"
    if container and kind == "Series":
        return f": `{container}.iloc[{position}]` is its {which} value"
    return " (.iloc[:, -1] is the last column, .iloc[-1] the last row)"


def _looked_up_by(tb: TracebackType | None) -> str:
    """The pandas type whose [] raised: the `self` of the first pandas `__getitem__` in the traceback."""
    for frame, _ in _frames(tb):
        if frame.f_code.co_name == "__getitem__" and "pandas" in Path(frame.f_code.co_filename).parts:
            return type(frame.f_locals.get("self")).__name__
    return ""


def _missing_attribute(exc: AttributeError) -> list[str]:
    obj, wanted = getattr(exc, "obj", None), getattr(exc, "name", None)
    if obj is None or not wanted:
        return []
    public = [name for name in dir(obj) if not name.startswith("_")]
    near = difflib.get_close_matches(wanted, public, n=6, cutoff=0.6)
    notes = []
    if near:
        notes.append(f"{type(obj).__name__} has no attribute {wanted!r}; close ones: {', '.join(near)}")
    keys = _keys_of(obj)
    if keys is not None and keys[0] == "columns":
        notes.append(f"its columns are: {_listing(_closest(wanted, keys[1]))}")
    return notes


def _missing_name(exc: NameError, frame: FrameType) -> list[str]:
    wanted = getattr(exc, "name", None)
    if not wanted:
        return []
    known = [n for n in {**frame.f_globals, **frame.f_locals} if not n.startswith("_")]
    near = difflib.get_close_matches(wanted, known, n=5, cutoff=0.6)
    return (
        [f"{wanted!r} is not defined; defined names close to it: {', '.join(near)}"]
        if near
        else [f"{wanted!r} is not defined in the notebook: define it (or load the data it stands for) first"]
    )


def _missing_file(exc: OSError, folder: Path) -> list[str]:
    filename = getattr(exc, "filename", None)
    if not isinstance(filename, str):
        return []
    path = Path(filename) if Path(filename).is_absolute() else folder / filename
    parent = path.parent
    while not parent.is_dir() and parent != parent.parent:
        parent = parent.parent
    try:
        entries = sorted(entry.name for entry in parent.iterdir() if not entry.name.startswith("."))
    except OSError:
        return []
    ranked = _closest(path.name, entries)
    where = "the working folder" if parent == folder else str(parent)
    return [f"{filename!r} does not exist; {where} has: {_listing(ranked, 15)}"]


def failure_state(
    exc: BaseException,
    tb: TracebackType | None,
    own_file: str,
    code: str,
    *,
    folder: Path | None = None,
    limit: int = STATE_CHARS,
) -> str:
    """What the generated code saw where it failed, within `limit` characters ("" when there is nothing
    worth saying, e.g. a SyntaxError)."""
    if isinstance(exc, SyntaxError):
        return ""
    folder = folder or Path(os.getcwd())
    own = [(frame, line) for frame, line in _frames(tb) if frame.f_code.co_filename == own_file]
    if not own:
        return ""
    frame, line = own[-1]
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return ""
    statement = _statement(tree, line)
    code_lines = code.splitlines()
    source = code_lines[line - 1].strip() if 0 < line <= len(code_lines) else ""
    notes = [f"What the code saw at line {line}:", f"    {source}"]
    values: list[tuple[str, Any]] = []
    if statement is not None:
        for name in _used_names(statement):
            found, value = _lookup(name, frame)
            if not found or isinstance(value, ModuleType) or getattr(builtins, name, None) is value:
                continue
            if callable(value) and not isinstance(value, type) and not hasattr(value, "iloc"):
                continue  # functions say little here; their signature is in the variable summary
            values.append((name, value))
            notes.append(f"- {name}: {describe_value(value)}")
    if isinstance(exc, KeyError):
        raised_in = _frames(tb)[-1][0].f_code.co_filename
        notes += _missing_key(exc, values, statement, raised_in=raised_in, looked_up_by=_looked_up_by(tb))
    elif isinstance(exc, AttributeError):
        notes += _missing_attribute(exc)
    elif isinstance(exc, NameError):
        notes += _missing_name(exc, frame)
    elif isinstance(exc, OSError):
        notes += _missing_file(exc, folder)
    for _, value in values:
        notes += _misread_table(value)
    # The files the code reads are part of what it saw: a KeyError two lines after read_csv is often a
    # file read with the wrong separator, encoding or header row.
    for text in _files_named(tree, folder)[:2]:
        path = Path(text) if Path(text).is_absolute() else folder / text
        if peek := file_peek(path, limit=600, name=text):
            notes.append(f"The file {text} holds: {peek}")
    if len(notes) == 2:  # only the line itself
        return ""
    text = "\n".join(notes)
    return text if len(text) <= limit else text[: limit - 1] + "…"
