"""What a piece of code would do outside the kernel that the user should agree to first, read from the code
before it runs: deleting, moving or overwriting files, writing outside the working folder, shell commands,
packages, the network, the environment and the working folder, credentials, and code built at run time that
cannot be read beforehand.

Pure computation on the kernel's data is never a risk, and neither is writing a new file inside the working
folder (what "save it as clean.csv" asks for). A path the code computes in a way this cannot follow counts as
a risk: not knowing where a write lands is a reason to ask.

It reads the code, it does not run it: what it cannot see (a C extension's calls, a library that deletes
files inside a call that looks harmless, names built by string operations) is listed in the README.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oci_magic.undo.touches import FILE_WRITERS, NETWORK_MODULES, PACKAGE_MAGICS

__all__ = ["Risk", "risks", "KINDS"]

# Each kind of risk: what the user is told it does, and what the model is told not to do when they decline.
KINDS: dict[str, tuple[str, str]] = {
    "deletes": ("deletes files or folders", "do not delete files or folders"),
    "moves": ("moves or renames files", "do not move or rename files"),
    "overwrites": ("overwrites or changes an existing file", "do not overwrite or change existing files"),
    "unknown_path": (
        "writes a file whose name is computed, so it may overwrite one",
        "write files only under a fixed new name in the working folder, or not at all",
    ),
    "outside": ("writes outside the working folder", "do not write outside the working folder"),
    "permissions": ("changes file permissions or links", "do not change file permissions or links"),
    "shell": ("runs a shell command", "do not run shell commands or subprocesses"),
    "packages": ("installs or uninstalls packages", "do not install or uninstall packages"),
    "network": ("uses the network", "do not use the network: work with the data already here"),
    "environment": (
        "changes environment variables or the working folder",
        "do not change environment variables or the working folder",
    ),
    "credentials": ("reads credentials", "do not read credentials, keys or tokens"),
    "dynamic": (
        "runs code it builds at run time, which cannot be read before it runs",
        "do not use exec, eval or dynamic imports",
    ),
    "database": ("writes to a database", "do not write to databases"),
}

DELETERS = frozenset("remove unlink rmdir removedirs rmtree".split())
MOVERS = frozenset("rename renames replace move".split())
COPIERS = frozenset("copy copy2 copyfile copytree".split())
MAKERS = frozenset("makedirs mkdir touch".split())
PERMISSIONS = frozenset("chmod chown lchown symlink link symlink_to hardlink_to".split())
FILE_MODULES = frozenset("os shutil pathlib".split())
SHELL_FUNCTIONS = {
    "os": frozenset(
        "system popen execl execle execlp execlpe execv execve execvp execvpe spawnl spawnle spawnlp "
        "spawnlpe spawnv spawnve spawnvp spawnvpe posix_spawn posix_spawnp startfile".split()
    ),
    "subprocess": frozenset("run call check_call check_output Popen getoutput getstatusoutput".split()),
    "pty": frozenset(["spawn"]),
    "commands": frozenset(["getoutput"]),
}
# Network libraries beyond the undo analysis' list, and calls that download.
NETWORK = NETWORK_MODULES | frozenset(
    "paramiko boto3 botocore ssl webbrowser urllib3 pycurl websocket".split()
)
DOWNLOADERS = frozenset("load_dataset urlretrieve urlopen".split())
IPYTHON_CALLS = (".run_line_magic", ".run_cell_magic", ".system", ".getoutput")
SHELL_MAGICS = frozenset("sx system sc bash sh script".split())
ENV_MAGICS = frozenset("cd env set_env".split())
CREDENTIAL_PATHS = re.compile(
    r"(^|[/\\~])\.(ssh|aws|netrc|git-credentials|pypirc|kube|docker|gnupg|azure)\b|id_rsa|id_ed25519|"
    r"\.config[/\\]gcloud|credentials(\.json)?$|\.env$",
    re.I,
)
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH", re.I)
WRITING_MODES = re.compile(r"[wax+]")


@dataclass(frozen=True)
class Risk:
    """One thing the code would do that the user should agree to: its kind (a key of KINDS), its line and
    the call, as the user reads them."""

    kind: str
    line: int
    code: str

    @property
    def why(self) -> str:
        return KINDS[self.kind][0]

    @property
    def constraint(self) -> str:
        return KINDS[self.kind][1]

    def __str__(self) -> str:
        return f"line {self.line}: {self.why}: `{self.code}`"


def risks(code: str, namespace: dict[str, Any] | None = None, folder: Path | None = None) -> list[Risk]:
    """What `code` (plain Python: IPython's magics already turned into calls) would do that needs the
    user's yes, in the order of the code, one per line and kind. `namespace` resolves paths held in
    variables; `folder` is the working folder (default: the current one). Code that does not parse does
    nothing: it fails before it runs."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    finder = _Finder(namespace or {}, (folder or Path.cwd()).resolve(), _imports(tree))
    finder.visit(tree)
    found: list[Risk] = []
    for risk in finder.found:
        if not any(r.kind == risk.kind and r.line == risk.line for r in found):
            found.append(risk)
    return found


def _imports(tree: ast.AST) -> dict[str, str]:
    """The names the code imports and the module each stands for: `sp` -> subprocess, `rmtree` ->
    shutil.rmtree, `Path` -> pathlib.Path."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                found[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def _dotted(node: ast.AST) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):  # Path("x").unlink(): the call's own name stands for its result
        inner = _dotted(node.func)
        return [*inner, "()", *parts[::-1]] if inner else ["", *parts[::-1]]
    if not isinstance(node, ast.Name):
        return ["", *parts[::-1]] if parts else []
    parts.append(node.id)
    return parts[::-1]


def _snippet(node: ast.AST, limit: int = 80) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Finder(ast.NodeVisitor):
    def __init__(self, namespace: dict[str, Any], folder: Path, imported: dict[str, str]) -> None:
        self.namespace, self.folder, self.imported = namespace, folder, imported
        self.paths: dict[str, str | None] = {}  # names the code binds to a path it builds
        self.handles: set[str] = set()  # names the code binds to a file it opens (judged at the open)
        self.found: list[Risk] = []

    def add(self, kind: str, node: ast.AST) -> None:
        self.found.append(Risk(kind, getattr(node, "lineno", 0), _snippet(node)))

    # -- what a name or a call stands for ---------------------------------------------------------------
    def qualified(self, func: ast.AST) -> str:
        """`shutil.rmtree` for `shutil.rmtree`, `sh.rmtree`, `rmtree` (imported from shutil), or a module
        in the namespace; '' for a method of an object ('.unlink' then)."""
        parts = _dotted(func)
        if not parts:
            return ""
        if "()" in parts:
            return "." + parts[-1]
        head, rest = parts[0], parts[1:]
        if head == "":
            return "." + parts[-1]
        if head in self.imported:
            module = self.imported[head]
        elif head in self.namespace and _is_module(self.namespace[head]):
            module = self.namespace[head].__name__
        elif head in self.namespace and callable(self.namespace[head]) and not rest:
            value = self.namespace[head]
            module = f"{getattr(value, '__module__', '') or ''}.{getattr(value, '__name__', head)}"
        elif head in FILE_MODULES | set(SHELL_FUNCTIONS) | NETWORK | {"sys", "importlib", "pip"}:
            module = head
        elif rest:
            return "." + parts[-1]  # a method of a variable
        else:
            return head
        return ".".join([module, *rest])

    def path_of(self, node: ast.AST | None) -> str | None:
        """The path an expression stands for, when it can be read without running anything."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.paths:
                return self.paths[node.id]
            value = self.namespace.get(node.id)
            return os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self.path_of(node.left), self.path_of(node.right)
            return str(Path(left) / right) if left is not None and right is not None else None
        if isinstance(node, ast.Call):
            name = self.qualified(node.func)
            if name.endswith(("Path", "PurePath", "os.path.join", "expanduser", "abspath")) and node.args:
                pieces = [self.path_of(arg) for arg in node.args]
                if None in pieces:
                    return None
                return str(Path(*pieces))  # type: ignore[arg-type]
        return None

    def judge_write(self, target: ast.AST | None, node: ast.AST, appends: bool = False) -> None:
        """A file written: new inside the working folder is fine; anything else is a risk."""
        path = self.path_of(target)
        if path is None:
            if not (isinstance(target, ast.Name) and _holds_file(self.namespace.get(target.id))):
                self.add("unknown_path", node)
            return
        if CREDENTIAL_PATHS.search(path):
            self.add("credentials", node)
        resolved = (self.folder / Path(path).expanduser()).resolve()
        if not resolved.is_relative_to(self.folder):
            self.add("outside", node)
        elif resolved.exists() or appends:
            self.add("overwrites", node)

    def on_a_path(self, node: ast.Call) -> bool:
        """`p.unlink()`, `Path(x).rename(y)`, `out.replace(dst)` on a Path: a file operation, not a list's
        `remove` or a string's `replace`."""
        func = node.func
        if not isinstance(func, ast.Attribute):
            return False
        if func.attr in ("unlink", "rmdir", "touch", "mkdir"):
            return True
        receiver = func.value
        if isinstance(receiver, ast.Call):
            return _dotted(receiver.func)[-1:] in (["Path"], ["PurePath"])
        if isinstance(receiver, ast.Name):
            value = self.namespace.get(receiver.id)
            return (
                isinstance(value, os.PathLike)
                or self.paths.get(receiver.id) is not None
                and (receiver.id not in self.namespace)
            )
        return False

    def writer(self, node: ast.Call) -> None:
        """`df.to_csv(path)`, `np.save(path, a)`, `pickle.dump(obj, f)`, `tf.saved_model.save(m, path)`:
        the first argument that is a path the code spells is judged; one that is an open file was judged
        where it was opened; with neither, where it writes cannot be known."""
        keywords = ("path", "path_or_buf", "fname", "file", "excel_writer", "filename", "export_dir")
        given = [*node.args, *(k.value for k in node.keywords if k.arg in keywords)]
        if not given:
            return
        for argument in given:
            if self.path_of(argument) is not None:
                self.judge_write(argument, node)
                return
        if any(self.is_open_file(argument) for argument in given):
            return
        self.add("unknown_path", node)

    def is_open_file(self, node: ast.AST) -> bool:
        """`f` from `with open(...) as f`, `open(...)` itself, or a file object of the user's: where it
        writes was judged where it was opened."""
        if _opens(node):
            return True
        return isinstance(node, ast.Name) and (
            node.id in self.handles or _holds_file(self.namespace.get(node.id))
        )

    # -- the visit -------------------------------------------------------------------------------------
    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name) and _opens(item.context_expr):
                self.handles.add(item.optional_vars.id)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.paths[node.targets[0].id] = self.path_of(node.value)
            if _opens(node.value):
                self.handles.add(node.targets[0].id)
        for target in node.targets:
            if _is_environ(target):
                self.add("environment", node)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        if any(_is_environ(target) for target in node.targets):
            self.add("environment", node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _is_environ(node) and isinstance(node.ctx, ast.Load):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and SECRET_NAME.search(key.value):
                self.add("credentials", node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and len(node.value) < 300 and CREDENTIAL_PATHS.search(node.value):
            if "/" in node.value or "\\" in node.value or node.value.startswith((".", "~")):
                self.add("credentials", node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self.qualified(node.func)
        last = name.rsplit(".", 1)[-1]
        module = name.split(".")[0]
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        if module in SHELL_FUNCTIONS and last in SHELL_FUNCTIONS[module]:
            self.add("packages" if _mentions_pip(node) else "shell", node)
        elif module == "get_ipython" or name in IPYTHON_CALLS:
            self.ipython(node, last)
        elif module == "pip":
            self.add("packages", node)
        elif last in DELETERS and (module in FILE_MODULES or name.startswith(".") and self.on_a_path(node)):
            self.add("deletes", node)
        elif last in MOVERS and (module in FILE_MODULES or name.startswith(".") and self.on_a_path(node)):
            self.add("moves", node)
        elif last in PERMISSIONS and (module in FILE_MODULES or name.startswith(".")):
            self.add("permissions", node)
        elif last in COPIERS and module in FILE_MODULES:
            self.judge_write(node.args[1] if len(node.args) > 1 else _keyword(node, "dst"), node)
        elif last in MAKERS and (module in FILE_MODULES or name.startswith(".") and self.on_a_path(node)):
            target = node.args[0] if node.args and module in FILE_MODULES else _receiver(node)
            path = self.path_of(target)
            if path is not None and not (self.folder / path).resolve().is_relative_to(self.folder):
                self.add("outside", node)
        elif last == "chdir" or name in ("os.putenv", "os.unsetenv"):
            self.add("environment", node)
        elif _is_environ(node.func.value if isinstance(node.func, ast.Attribute) else None):
            self.environ_method(node, last)
        elif name == "os.getenv":
            key = node.args[0] if node.args else None
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and SECRET_NAME.search(key.value):
                self.add("credentials", node)
        elif name == "open" or name in ("io.open", "os.open", "codecs.open"):
            mode = node.args[1] if len(node.args) > 1 else _keyword(node, "mode")
            text = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"
            if name == "os.open" or WRITING_MODES.search(text) and "x" not in text:
                self.judge_write(node.args[0] if node.args else _keyword(node, "file"), node, "a" in text)
            elif "x" in text:
                self.judge_write(node.args[0] if node.args else None, node)
        elif last in ("write_text", "write_bytes") and name.startswith("."):
            self.judge_write(_receiver(node), node)
        elif last == "to_sql":
            self.add("database", node)
        elif last in FILE_WRITERS and module not in NETWORK:
            self.writer(node)
        elif module in NETWORK or last in DOWNLOADERS or module == "sklearn" and last.startswith("fetch_"):
            self.add("network", node)
        elif any(_is_url(argument) for argument in arguments):
            self.add("network", node)
        elif name in ("exec", "eval", "compile", "__import__", "importlib.import_module"):
            if not (node.args and isinstance(node.args[0], ast.Constant)):
                self.add("dynamic", node)
        elif (
            name == "getattr"
            and node.args
            and self.qualified(node.args[0]).split(".")[0]
            in (FILE_MODULES | set(SHELL_FUNCTIONS) | {"builtins"})
        ):
            self.add("dynamic", node)
        self.generic_visit(node)

    def environ_method(self, node: ast.Call, method: str) -> None:
        if method in ("update", "pop", "setdefault", "clear", "popitem", "__setitem__", "__delitem__"):
            self.add("environment", node)
        elif method == "get":
            key = node.args[0] if node.args else None
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and SECRET_NAME.search(key.value):
                self.add("credentials", node)
        elif method in ("items", "values", "copy"):
            self.add("credentials", node)  # every variable, the secret ones with them

    def ipython(self, node: ast.Call, name: str) -> None:
        words = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name in ("system", "getoutput"):
            command = words[0] if words else ""
            self.add("packages" if re.search(r"\b(pip|conda|mamba|uv)\b", command) else "shell", node)
        elif name in ("run_line_magic", "run_cell_magic") and words:
            if words[0] in PACKAGE_MAGICS:
                self.add("packages", node)
            elif words[0] in SHELL_MAGICS:
                self.add("shell", node)
            elif words[0] in ENV_MAGICS and (words[0] != "env" or len(words) > 1 and "=" in words[1]):
                self.add("environment", node)
            elif words[0] in ("writefile", "store"):
                self.add("unknown_path", node)


def _opens(node: ast.AST) -> bool:
    """`open(...)`, `io.open(...)`, `Path(...).open(...)`, `gzip.open(...)`: a file the code opens."""
    return isinstance(node, ast.Call) and _dotted(node.func)[-1:] == ["open"]


def _is_module(value: Any) -> bool:
    return type(value).__name__ == "module"


def _holds_file(value: Any) -> bool:
    """An open file or buffer the user made: writing to it is theirs to decide, and it is not a path."""
    return hasattr(value, "write") and not isinstance(value, (str, bytes, os.PathLike))


def _is_environ(node: ast.AST | None) -> bool:
    """`os.environ` or `os.environ[...]`."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _dotted(node)[:1] in (["os"], [""])


def _keyword(node: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _receiver(node: ast.Call) -> ast.AST | None:
    return node.func.value if isinstance(node.func, ast.Attribute) else None


def _mentions_pip(node: ast.Call) -> bool:
    return bool(re.search(r"\b(pip|conda|mamba)\b", ast.unparse(node)))


def _is_url(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(("http://", "https://", "ftp://", "s3://", "gs://"))
    )
