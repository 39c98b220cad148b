"""Finding the Python code in a model's reply.

Code models answer in markdown: usually a ```python block, sometimes ```py or an unlabelled fence, small
models even label code ```markdown, and some reply with bare code. The Python blocks of a reply are joined in
order, because a reply that defines a function in one block and calls it in the next means both: unless they
are versions of the same code. A repair often shows the faulty line, then the whole corrected program, or
gives the program and then an "alternatively" one; joined, they run the wrong version or break. A block that
binds again names an earlier block bound, without reading them first, starts a new version; of the versions
the first is taken unless a later one binds everything it binds and more (a snippet, then the program).
Fences indented inside a list (options, steps) are left out when the reply has fences of its own. An
unlabelled fence that is not code (it does not parse, or holds values alone) beside code is the output the
model says the code prints ("This will output: ..."): joined, it would break the program or end it with a
value that is not its result.
"""

from __future__ import annotations

import ast
import re

__all__ = ["extract_code", "prose"]

_PYTHON_LABELS = {"python", "py", "python3", "ipython", "ipython3", "pycon"}
# Blocks with these labels are never run as Python, even when they happen to parse.
_OTHER_LANGUAGES = {
    "bash", "sh", "shell", "console", "zsh", "powershell", "bat", "cmd", "text", "txt", "output",
    "plaintext", "json", "yaml", "yml", "toml", "ini", "csv", "tsv", "sql", "html", "xml", "css",
    "javascript", "js", "typescript", "ts", "c", "cpp", "java", "r", "julia", "rust", "go", "diff",
    "log", "error", "traceback",
}  # fmt: skip

# An opening fence at the start of a line, its label, then everything up to a closing fence or the end
# (a reply cut by max_tokens, or a completion-style prompt whose stop string ate the closing fence).
_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.S | re.M)


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _is_trivial(code: str) -> bool:
    """A lone name or constant ("Sure", "42") parses but is not an answer worth running."""
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError):
        return False
    return (
        len(body) == 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, (ast.Name, ast.Constant))
    )


def _is_values(code: str) -> bool:
    """Nothing but literal values (`[1, 2, 3]`, `(4, 5)`, `0.5`): what code prints, not code."""
    try:
        body = ast.parse(code).body
        for statement in body:
            if not isinstance(statement, ast.Expr):
                return False
            ast.literal_eval(statement.value)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return False
    return bool(body)


def _strip_prompts(code: str) -> str:
    """Drop `>>> ` / `... ` console prompts, which models copy from docs."""
    lines = code.splitlines()
    if lines and all(line.startswith((">>>", "...")) or not line.strip() for line in lines):
        return "\n".join(line[4:] if len(line) > 3 else "" for line in lines)
    return code


def _code_blocks(reply: str) -> list[tuple[re.Match, str]]:
    """The fenced blocks of `reply` that hold Python: (the fence's match, the code)."""
    blocks, shown = [], []  # shown: the unlabelled blocks that are not code
    for match in _FENCE.finditer(reply):
        label, body = match.group(1).lower(), _strip_prompts(match.group(2).strip("\n"))
        if not body.strip():
            continue
        if label in _PYTHON_LABELS or not label:
            blocks.append((match, body))
            if not label and (not _parses(body) or _is_values(body)):
                shown.append(blocks[-1])
        elif label not in _OTHER_LANGUAGES and _parses(body) and not _is_trivial(body):
            # Mislabelled code (```markdown, ```python-repl ...): trust it only if it is valid Python.
            blocks.append((match, body))
    if len(shown) < len(blocks):  # beside code, they are its output; alone, a broken program to repair
        blocks = [block for block in blocks if block not in shown]
    return blocks


def _bindings(code: str) -> tuple[list[str], set[str]] | None:
    """(names read before the code binds them, in order; names it binds at the top level); None when the
    code does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    bound: set[str] = set()
    read_first: list[str] = []
    for statement in tree.body:
        stores: set[str] = set()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(statement.name)
            nodes = list(statement.decorator_list)  # the body runs later, when called
        else:
            nodes = [statement]
        loads: list[str] = []
        for node in nodes:
            for child in ast.walk(node):
                if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                    loads.append(child.id)
                elif isinstance(child, ast.Name):
                    stores.add(child.id)
                elif isinstance(child, ast.alias):
                    stores.add((child.asname or child.name).split(".")[0])
        # `df = df.dropna()` reads df before it binds it: a statement's reads come before its bindings.
        read_first += [name for name in loads if name not in bound]
        bound |= stores
    return read_first, bound


def _one_version(bodies: list[str]) -> list[str]:
    """The blocks of one version of the code (see the module's docstring); all of them when none restarts."""
    versions: list[list[str]] = []
    version_names: list[set[str]] = []
    bound_so_far: set[str] = set()
    for body in bodies:
        found = _bindings(body)
        if found is None:
            return bodies  # a block that does not parse: keep the old behaviour, the error will say where
        read_first, bound = found
        restarts = bool(versions) and bool(bound & bound_so_far) and not set(read_first) & bound_so_far
        if not versions or restarts:
            versions.append([body])
            version_names.append(set(bound))
        else:
            versions[-1].append(body)
            version_names[-1] |= bound
        bound_so_far |= bound
    for index, names in enumerate(version_names):
        if not any(names < later for later in version_names[index + 1 :]):
            return versions[index]
    return versions[-1]  # pragma: no cover - the last version is never a strict subset of a later one


def extract_code(reply: str) -> str | None:
    """Return the Python code in `reply`, or None when it holds none."""
    blocks = _code_blocks(reply)
    top_level = [(match, body) for match, body in blocks if not match.group(0)[:1].isspace()]
    if top_level and len(top_level) < len(blocks):
        blocks = top_level  # fences indented in a list are options or steps the program repeats
    if blocks:
        bodies = _one_version([body.rstrip() for _, body in blocks])
        return "\n\n".join(bodies)
    if "```" in reply:
        return None
    bare = reply.strip("\n")
    if bare.strip() and _parses(bare) and not _is_trivial(bare):
        return bare
    return None


def prose(reply: str) -> str:
    """What the model said around its code: the reply without the code that `extract_code` takes."""
    blocks = _code_blocks(reply)
    if not blocks:
        return "" if extract_code(reply) is not None else reply.strip()
    pieces, at = [], 0
    for match, _ in blocks:
        pieces.append(reply[at : match.start()])
        at = match.end()
    pieces.append(reply[at:])
    return re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip()
