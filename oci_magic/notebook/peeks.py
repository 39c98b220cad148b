"""Short looks at data files, so that the model writes code for the file that is there rather than the file
it guesses: the first lines of text, how a CSV is really separated, a JSON document's shape, what a binary
file is.

Used twice: for the files a request names (before the model writes anything) and for the file a failing
line tried to read (in the feedback). Only the first `READ_BYTES` of a file are read (a JSON document up to
`JSON_BYTES`); nothing is imported beyond the standard library.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["file_peek", "named_paths", "request_peeks"]

READ_BYTES = 64 * 1024
JSON_BYTES = 4 * 1024 * 1024
LINE_CHARS = 160  # a shown line is cut here
SHOWN_LINES = 6

# Magic numbers of the binary files people load in notebooks.
_MAGIC = [
    (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"), (b"%PDF", "PDF"),
    (b"PK\x03\x04", "zip archive (also .xlsx/.docx)"), (b"PAR1", "Parquet file"), (b"\x1f\x8b", "gzip file"),
    (b"SQLite format 3", "SQLite database"), (b"\x93NUMPY", "NumPy .npy array"), (b"ARROW1", "Arrow file"),
    (b"\x89HDF", "HDF5 file"), (b"\xd0\xcf\x11\xe0", "old Office file (.xls/.doc)"), (b"\x80", "pickle"),
]  # fmt: skip
_TABULAR = {".csv", ".tsv", ".txt", ".dat", ".tab", ".psv", ""}
# A path-like word: letters, digits, _ . - / \ ~ with a dot-extension or a slash; quotes and backticks around
# it are dropped by the pattern's boundaries.
_PATH = re.compile(r"(?<![\w/.~-])((?:~|\.{1,2})?[\w./\\~-]*?[\w-]+(?:\.[A-Za-z][\w]{0,7}|/))(?![\w/-])")


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _cut(line: str, limit: int = LINE_CHARS) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when it decodes (a cut multi-byte character at the end is fine)."""
    for encoding in ("utf-8-sig", "utf-8"):
        try:
            return raw.decode(encoding), "utf-8"
        except UnicodeDecodeError as exc:
            if exc.start >= len(raw) - 3:  # only the last character was cut by the read limit
                return raw[: exc.start].decode(encoding), "utf-8"
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _binary_kind(raw: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            return kind
    if b"\x00" in raw[:4096]:
        return "binary file"
    return None


_THOUSANDS = {  # a number written with thousands separators, by the decimal mark it goes with
    ",": re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"),
    ".": re.compile(r"^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$"),
}


def _table_shape(lines: list[str]) -> tuple[str, dict[str, object]]:
    """How a delimited text file is laid out (comment lines, title lines, separator, decimal comma,
    thousands separators, header), and the `pd.read_csv` arguments that read it as it is."""
    notes: list[str] = []
    args: dict[str, object] = {}
    is_comment = [line.lstrip().startswith("#") for line in lines]
    comments = sum(is_comment)
    body = [line for line, comment in zip(lines, is_comment, strict=True) if line.strip() and not comment]
    if comments and is_comment[0]:
        notes.append(f"{comments} comment line{'s' * (comments != 1)} starting with '#'")
    if not body:
        return "; ".join(notes), {}
    sample = "\n".join(body[:20])
    try:
        separator = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {sep: sum(line.count(sep) for line in body[:20]) for sep in ",;\t|"}
        separator = max(counts, key=counts.get) if max(counts.values()) else None
    if separator is None:
        return "; ".join(notes), {}
    rows = [next(csv.reader([line], delimiter=separator)) for line in body[:40]]
    common = Counter(len(row) for row in rows[:20]).most_common(1)[0][0]
    start = next((i for i, row in enumerate(rows) if len(row) == common), 0)
    shown = {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}[separator]
    notes.append(f"separated by {shown}")
    if separator != ",":
        args["sep"] = separator
    header_line = lines.index(body[start])
    if start:
        notes.append(
            f"the table's header is line {header_line + 1} of the file ({header_line} "
            f"line{'s' * (header_line != 1)} before it)"
        )
    if header_line:
        # pandas skips whole-line comments with comment='#', unless '#' is also in the data: then it would cut
        # values, and counting lines (blank ones too, as skiprows does) is what works.
        comments_only = all(is_comment[i] or not lines[i].strip() for i in range(header_line))
        if comments_only and not any("#" in line for line in body):
            args["comment"] = "#"
        else:
            args["skiprows"] = header_line
    header = rows[start]
    notes.append(f"header: {', '.join(_cut(h.strip(), 40) for h in header)}")
    values = [value.strip() for row in rows[start + 1 :] for value in row]
    if separator != "," and any(re.search(r"(?<![\d.])\d+,\d+(?![\d,])", line) for line in body[start + 1 :]):
        notes.append("decimal comma")
        args["decimal"] = ","
    mark = "." if args.get("decimal") == "," else ","
    if any(_THOUSANDS[mark].match(value) for value in values):
        notes.append(f"'{mark}' as thousands separator")
        args["thousands"] = mark
    return "; ".join(notes), args


def read_call(name: str, args: dict[str, object]) -> str:
    """The pandas call that reads the file `name` with `args`, as code the model can copy."""
    shown = "".join(f", {key}={value!r}" for key, value in args.items())
    return f"pd.read_csv({name!r}{shown})"


def _json_shape(value, depth: int = 0) -> str:
    if isinstance(value, dict):
        if depth >= 2:
            return f"object with keys {', '.join(json.dumps(key) for key in list(value)[:8])}"
        items = [
            f"{json.dumps(key)}: {_json_shape(item, depth + 1)}" for key, item in list(value.items())[:10]
        ]
        more = f", … {len(value) - 10} more keys" if len(value) > 10 else ""
        return "{" + ", ".join(items) + more + "}"
    if isinstance(value, list):
        first = f", first item: {_cut(json.dumps(value[0], default=str), 200)}" if value else ""
        return f"list of {len(value)}{first}"
    return _cut(json.dumps(value, default=str), 60)


def _json_read_call(document: Any, name: str) -> str | None:
    """The call that makes a table of a JSON document's records when `pd.read_json` would not: records under
    a key, or records with nested objects (which become columns such as 'item.price')."""
    path: list[str] = []
    records = document
    if isinstance(document, dict):
        key = next(
            (k for k, v in document.items() if isinstance(v, list) and v and isinstance(v[0], dict)), None
        )
        if key is None:
            return None
        path, records = [key], document[key]
    if not (isinstance(records, list) and records and isinstance(records[0], dict)):
        return None
    nested = [key for key, value in records[0].items() if isinstance(value, dict)]
    if not path and not nested:
        return None  # pd.read_json reads a flat list of records
    where = "".join(f"[{key!r}]" for key in path)
    columns = ""
    if nested:
        inner = next(iter(records[0][nested[0]]), None)
        columns = (
            f" (nested fields become columns such as '{nested[0]}.{inner}')" if inner is not None else ""
        )
    variable = re.sub(r"\W+", "_", Path(name).stem).strip("_").lower() or "table"
    variable = variable if variable.isidentifier() else "table"
    # pandas alone (no `import json` to forget): read_json(typ='series') keeps nested objects as they are.
    records_of = f"pd.read_json({name!r}, typ='series')" + (where or ".tolist()")
    return f"{variable} = pd.json_normalize({records_of}){columns}"


def file_peek(path: Path, *, limit: int = 700, name: str | None = None) -> str:
    """What `path` holds, in a few lines (a folder: its first entries); "" when it cannot be read.

    A table that pandas would misread with its defaults gets the call that reads it, naming the file
    `name` (as the request or the code wrote it; the file's own name when not given)."""
    try:
        if path.is_dir():
            entries = sorted(entry.name + ("/" if entry.is_dir() else "") for entry in path.iterdir())
            shown = ", ".join(entries[:12]) + (f", … {len(entries) - 12} more" if len(entries) > 12 else "")
            return f"folder of {len(entries)} entries: {shown}"[:limit]
        size = path.stat().st_size
        with path.open("rb") as handle:
            raw = handle.read(READ_BYTES)
    except OSError:  # gone, unreadable, a socket: say nothing rather than fail the request
        return ""
    kind = _binary_kind(raw)
    if kind is not None:
        return f"{kind}, {_size(size)}"
    text, encoding = _decode(raw)
    lines = text.splitlines()
    if size > len(raw) and lines:
        lines = lines[:-1]  # the last line read may be cut
    head = f"text, {_size(size)}" + ("" if encoding == "utf-8" else f", not UTF-8 (decodes as {encoding})")
    suffix = path.suffix.lower()
    if suffix in (".json", ".geojson") or (suffix not in _TABULAR and text.lstrip()[:1] in "[{"):
        if size <= JSON_BYTES:
            try:
                document = json.loads(path.read_bytes().decode(encoding))
            except (ValueError, OSError):
                pass
            else:
                call = _json_read_call(document, name or path.name)
                call = f"\n  read it with: {call}" if call else ""
                return _cut(f"JSON, {_size(size)}: {_json_shape(document)}", max(0, limit - len(call))) + call
    args: dict[str, object] = {}
    if suffix in _TABULAR:
        shape, args = _table_shape(lines[:40])
        head += f"; {shape}" if shape else ""
        if encoding != "utf-8" and "separated by" in shape:
            args["encoding"] = encoding
    shown = [f"  {_cut(line)}" for line in lines[:SHOWN_LINES]]
    if len(lines) > SHOWN_LINES:
        shown.append("  …")
    result = head + (":\n" + "\n".join(shown) if shown else " (empty)")
    # Small models copy a call more reliably than they turn a description into one; it is kept whole when
    # the lines above must be cut.
    call = f"\n  read it with: {read_call(name or path.name, args)}" if args and shown else ""
    room = max(0, limit - len(call))
    return (result if len(result) <= room else result[: room - 1] + "…") + call


def named_paths(text: str, folder: Path) -> list[Path]:
    """The existing files and folders `text` names, relative to `folder` (or absolute), in order."""
    found: dict[Path, None] = {}
    for match in _PATH.finditer(text):
        word = match.group(1).rstrip(".")
        if not word or word in (".", ".."):
            continue
        path = Path(os.path.expanduser(word))
        path = path if path.is_absolute() else folder / path
        try:
            if path.exists():
                found[path] = None
        except OSError:
            continue
    return list(found)


def request_peeks(request: str, folder: Path, *, limit: int = 1500) -> str:
    """One peek per file the request names that exists, within `limit` characters ("" when none)."""
    pieces, used = [], 0
    for path in named_paths(request, folder):
        # Named as the request names it: relative to the working folder when it is inside it.
        shown = os.path.relpath(path, folder) if path.is_relative_to(folder) else str(path)
        peek = file_peek(path, limit=max(200, limit - used), name=shown)
        if not peek:
            continue
        piece = f"{shown}: {peek}"
        if used + len(piece) > limit:
            break
        pieces.append(piece)
        used += len(piece) + 1
    return "\n".join(pieces)
