"""What a piece of code can touch, read from the code before it runs: the user's objects it may change in
place (those need a copy for undo to put them back), and what it does outside the kernel's namespace that no
undo can take back (files, packages, shell commands, the network).

Rebinding a name needs nothing from here: the checkpoint keeps a reference to every object the namespace held,
which costs nothing. Only in-place changes cost a copy, so this errs towards finding a change (a copy too
many costs memory within the budget; a copy too few loses the user's data), except where a call is known
not to change its arguments: builtins that only read, and the functions of numpy, pandas and the plotting
libraries, which return new objects unless told `inplace=True` or named below as changing their input.
"""

from __future__ import annotations

import ast
import types
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Touches", "Effect", "EffectKind", "touches", "can_change_in_place"]

# Methods that change their receiver, on the types whose methods are known: builtin containers, numpy
# arrays, pandas objects. On any other object (a user's class, a model) every method call counts.
CHANGING_METHODS = frozenset(
    (
        "append extend insert pop remove clear sort reverse update setdefault popitem add discard "
        "difference_update intersection_update symmetric_difference_update fill resize put itemset partition "
        "setfield setflags byteswap set_axis rename_axis __setitem__ __delitem__"
    ).split()
)
KNOWN_METHOD_MODULES = ("builtins", "numpy", "pandas")
# Builtins that only read their arguments.
READING_BUILTINS = frozenset(
    (
        "print len str repr int float bool complex list tuple dict set frozenset sorted reversed sum min max "
        "any all abs round enumerate zip range map filter type isinstance issubclass id hash format hex oct "
        "bin chr ord divmod pow getattr hasattr callable iter vars dir ascii bytes slice object display help"
    ).split()
)
# Libraries whose functions and methods return new objects rather than change their arguments.
READING_LIBRARIES = frozenset(
    (
        "numpy pandas matplotlib seaborn scipy sklearn statsmodels plotly math statistics json re datetime "
        "textwrap string itertools functools operator collections decimal fractions IPython"
    ).split()
)
# ... except these, which change an argument in place.
CHANGING_FUNCTIONS = frozenset(
    (
        "shuffle copyto put place putmask fill_diagonal at heappush heappop heapify heapreplace heappushpop "
        "insort insort_left insort_right"
    ).split()
)

# What no undo takes back, by the function called (its last name; the module it came from, when known).
FILE_WRITERS = frozenset(
    (
        "to_csv to_excel to_parquet to_json to_pickle to_feather to_hdf to_sql to_html to_latex to_markdown "
        "to_stata to_orc to_xml savefig write_text write_bytes save savez savez_compressed savetxt tofile "
        "dump to_file write_image write_html"
    ).split()
)
FILE_CHANGERS = frozenset(
    (
        "remove unlink rmdir removedirs rmtree rename renames replace move copy copy2 copyfile copytree "
        "makedirs mkdir touch chmod chown symlink extractall chdir"
    ).split()
)
FILE_MODULES = frozenset("os shutil pathlib zipfile tarfile".split())
SHELL_CALLS = frozenset("system popen run call check_call check_output Popen getoutput".split())
SHELL_MODULES = frozenset("os subprocess".split())
NETWORK_MODULES = frozenset("requests urllib httpx http socket aiohttp smtplib ftplib".split())
PACKAGE_MAGICS = frozenset("pip conda mamba uv".split())


class EffectKind(StrEnum):
    """What code does outside the kernel's namespace, which undo cannot take back."""

    WRITES_FILE = "writes a file"
    CHANGES_FILES = "changes files"
    INSTALLS_PACKAGES = "installs packages"
    RUNS_COMMAND = "runs a shell command"
    USES_NETWORK = "uses the network"


@dataclass(frozen=True)
class Effect:
    """One thing code does outside the namespace: its kind, and the call as written (with its line)."""

    kind: EffectKind
    what: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.what}"


@dataclass
class Touches:
    """What a piece of code may change: `in_place` maps a name of the namespace to the first place the code
    may change its object in place (`df.drop(..., inplace=True)` (line 3)); `outside` lists, in order,
    what it does that undo cannot take back."""

    in_place: dict[str, str] = field(default_factory=dict)
    outside: list[Effect] = field(default_factory=list)

    def merge(self, other: Touches) -> None:
        for name, where in other.in_place.items():
            self.in_place.setdefault(name, where)
        self.outside.extend(item for item in other.outside if item not in self.outside)


def can_change_in_place(value: Any) -> bool:
    """Whether `value` can be changed in place at all: not a number, a string, a module, a function, a
    class (tuples and frozensets count: they may hold objects that can)."""
    immutable = (int, float, complex, str, bytes, bool, type(None), range, types.ModuleType, type)
    return not isinstance(value, immutable) and not callable(value) or _is_instance_with_call(value)


def _is_instance_with_call(value: Any) -> bool:
    """A callable object that is not a function or class (a model with `__call__`) can hold state."""
    return (
        callable(value)
        and not isinstance(
            value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType)
        )
        and hasattr(value, "__dict__")
    )


def touches(code: str, namespace: dict[str, Any]) -> Touches:
    """What `code` (plain Python: IPython's magics already turned into calls) may touch of `namespace` and
    outside it. Code that does not parse touches nothing: it fails before it runs."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return Touches()
    finder = _Finder(namespace, _imports(tree))
    finder.visit(tree)
    return finder.found


def _root(node: ast.AST) -> ast.Name | None:
    """The name an expression starts from: `df` for `df.loc[0, "a"]`, `d` for `d["k"].append`."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> list[str]:
    """`["np", "random", "shuffle"]` for `np.random.shuffle`; [] when it is not a plain chain of names."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    parts.append(node.id)
    return parts[::-1]


def _top_module(value: Any) -> str:
    module = value.__name__ if isinstance(value, types.ModuleType) else getattr(type(value), "__module__", "")
    return (module or "").split(".")[0]


def _snippet(node: ast.AST, limit: int = 60) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _imports(tree: ast.AST) -> dict[str, str]:
    """The names the code itself imports, and the top package each comes from (`plt` -> matplotlib)."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = node.module.split(".")[0]
    return found


class _Finder(ast.NodeVisitor):
    def __init__(self, namespace: dict[str, Any], imported: dict[str, str]) -> None:
        self.namespace = namespace
        self.imported = imported  # by the code itself: not in the namespace yet
        # Names the code binds to a part of a namespace object (`for row in rows`, `col = df["a"]`): a
        # change through them is a change of that object.
        self.aliases: dict[str, set[str]] = {}
        self.found = Touches()

    # -- the namespace's objects, changed in place -----------------------------------------------------
    def _changes(self, node: ast.AST, where: ast.AST) -> None:
        root = _root(node)
        if root is None:
            return
        for name in sorted({root.id, *self.aliases.get(root.id, ())}):
            if name in self.namespace and can_change_in_place(self.namespace[name]):
                self.found.in_place.setdefault(name, f"{_snippet(where)} (line {where.lineno})")

    def _alias(self, target: ast.AST, value: ast.AST, *, anywhere: bool) -> None:
        """Bind the names of `target` to the namespace objects `value` is part of: its root name, or with
        `anywhere` every name in it (`zip(arr, n1)` in a for loop)."""
        if anywhere:
            roots = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        else:
            root = _root(value) if isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) else None
            roots = {root.id} if root is not None else set()
        sources = set()
        for name in roots:
            sources |= {name} if name in self.namespace else set()
            sources |= self.aliases.get(name, set())
        if not sources:
            return
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.aliases.setdefault(node.id, set()).update(sources)

    def _targets(self, target: ast.AST, where: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._targets(element, where)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            self._changes(target, where)
        elif isinstance(target, ast.Starred):
            self._targets(target.value, where)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._targets(target, node)
            self._alias(target, node.value, anywhere=False)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._targets(node.target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        # `x += [1]` changes a list (a DataFrame, an array) in place; on a number it rebinds, costing nothing.
        self._changes(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._targets(target, node)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        self._targets(node.target, node)
        self._alias(node.target, node.iter, anywhere=True)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._targets(item.optional_vars, node)
        self.generic_visit(node)

    # -- calls: methods that change their receiver, functions that change their arguments, the outside --
    def visit_Call(self, node: ast.Call) -> None:
        self._outside(node)
        func = node.func
        if isinstance(func, ast.Attribute):
            self._method_call(node, func)
        if self._may_change_arguments(func):
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                self._argument(argument, node)
        self.generic_visit(node)

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        receiver = self._value_of(func.value)
        if receiver is _UNKNOWN and (root := _root(func.value)) is not None:
            # a part of an object (`ax.lines[0].set_color`): its methods are known by the whole's library
            receiver = self.namespace.get(root.id, _UNKNOWN)
        inplace = any(
            keyword.arg == "inplace"
            and not (isinstance(keyword.value, ast.Constant) and not keyword.value.value)
            for keyword in node.keywords
        )
        if isinstance(receiver, types.ModuleType):
            return
        if receiver is _UNKNOWN or _top_module(receiver) in KNOWN_METHOD_MODULES:
            if func.attr in CHANGING_METHODS or inplace:
                self._changes(func.value, node)
            return
        self._changes(func.value, node)  # a method of any other object may change it (a model's fit)

    def _argument(self, argument: ast.AST, where: ast.AST) -> None:
        if isinstance(argument, (ast.List, ast.Tuple, ast.Set)):
            for element in argument.elts:
                self._argument(element, where)
        elif isinstance(argument, ast.Dict):
            for value in argument.values:
                self._argument(value, where)
        elif isinstance(argument, (ast.Name, ast.Attribute, ast.Subscript, ast.Starred)):
            self._changes(argument, where)

    def _may_change_arguments(self, func: ast.AST) -> bool:
        """Whether a call to `func` may change the objects passed to it."""
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in CHANGING_FUNCTIONS:
            return True
        root = _root(func)
        if root is not None and root.id not in self.namespace and root.id in self.imported:
            return self.imported[root.id] not in READING_LIBRARIES
        if isinstance(func, ast.Name) and func.id not in self.namespace:
            return func.id not in READING_BUILTINS  # a builtin, or a function the code itself defines
        owner = self._value_of(func.value) if isinstance(func, ast.Attribute) else self._value_of(func)
        if owner is _UNKNOWN:
            return True
        if isinstance(func, ast.Attribute) and not isinstance(owner, types.ModuleType):
            owner_module = _top_module(owner)  # a method: the library of its object
        else:
            owner_module = getattr(owner, "__module__", None) or _top_module(owner)
            owner_module = owner_module.split(".")[0]
        return owner_module not in READING_LIBRARIES

    def _value_of(self, node: ast.AST) -> Any:
        """The object a chain of names stands for, looked up without running code: only through modules
        (`np.random`), never through an object's attributes (a property could run anything)."""
        parts = _dotted(node)
        if not parts or parts[0] not in self.namespace:
            return _UNKNOWN
        value = self.namespace[parts[0]]
        for part in parts[1:]:
            if not isinstance(value, types.ModuleType):
                return _UNKNOWN
            value = getattr(value, part, _UNKNOWN)
        return value

    def _outside(self, node: ast.Call) -> None:
        parts = _dotted(node.func)
        if not parts:
            if isinstance(node.func, ast.Attribute):  # a method of an expression: df.query(...).to_csv(...)
                parts = ["", node.func.attr]
            else:
                return
        name, module = parts[-1], self._module_name(parts)
        text = f"`{_snippet(node, 100)}` (line {node.lineno})"
        if parts[0] in ("", "get_ipython") and name in (
            "run_line_magic",
            "run_cell_magic",
            "system",
            "getoutput",
        ):
            self._ipython_call(node, name, text)
            return
        if name in FILE_WRITERS and (
            node.args or any(k.arg in ("path", "path_or_buf", "fname", "file") for k in node.keywords)
        ):
            if module not in NETWORK_MODULES:
                self._add(EffectKind.WRITES_FILE, text)
                return
        if name == "open" and len(parts) == 1 and _writes(node):
            self._add(EffectKind.WRITES_FILE, text)
        elif name in FILE_CHANGERS and (module in FILE_MODULES or module == "" and len(parts) > 1):
            if module in FILE_MODULES or _looks_like_path(node.func):
                self._add(EffectKind.CHANGES_FILES, text)
        elif name in SHELL_CALLS and module in SHELL_MODULES:
            pip = "pip" in ast.unparse(node)
            self._add(EffectKind.INSTALLS_PACKAGES if pip else EffectKind.RUNS_COMMAND, text)
        elif module in NETWORK_MODULES or _has_url(node):
            self._add(EffectKind.USES_NETWORK, text)

    def _ipython_call(self, node: ast.Call, name: str, text: str) -> None:
        words = [
            arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if name in ("run_line_magic", "run_cell_magic") and words:
            if words[0] in PACKAGE_MAGICS:
                self._add(EffectKind.INSTALLS_PACKAGES, f"%{words[0]} {' '.join(words[1:])}".rstrip())
            elif words[0] in ("sx", "system", "sc", "bash", "sh", "script"):
                self._add(EffectKind.RUNS_COMMAND, text)
        elif name in ("system", "getoutput"):
            command = words[0] if words else _snippet(node)
            first = command.split()[0] if command.split() else ""
            pip = first in PACKAGE_MAGICS or " pip " in f" {command} "
            self._add(EffectKind.INSTALLS_PACKAGES if pip else EffectKind.RUNS_COMMAND, f"!{command}")

    def _module_name(self, parts: list[str]) -> str:
        """The top module a dotted call comes from (`os` for `os.remove`, `pathlib` for a Path object's
        method), or "" when not known."""
        if len(parts) < 2 or not parts[0]:
            return ""
        value = self.namespace.get(parts[0], _UNKNOWN)
        if value is _UNKNOWN:
            if parts[0] in self.imported:
                return self.imported[parts[0]]
            return parts[0] if parts[0] in FILE_MODULES | SHELL_MODULES | NETWORK_MODULES else ""
        return _top_module(value)

    def _add(self, kind: EffectKind, what: str) -> None:
        item = Effect(kind, what)
        if item not in self.found.outside:
            self.found.outside.append(item)


_UNKNOWN = object()


def _writes(node: ast.Call) -> bool:
    mode = (
        node.args[1]
        if len(node.args) > 1
        else next((k.value for k in node.keywords if k.arg == "mode"), None)
    )
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and any(c in mode.value for c in "wax+")
    )


def _looks_like_path(func: ast.AST) -> bool:
    """`Path(...).unlink()`, `path.rename(...)`: a method named like a file operation on something that
    is not a container (`lst.remove(x)`, `s.replace(...)` are not files)."""
    return isinstance(func, ast.Attribute) and func.attr in {
        "unlink",
        "rmdir",
        "mkdir",
        "touch",
        "rename",
        "chmod",
        "symlink_to",
    }


def _has_url(node: ast.Call) -> bool:
    return any(
        isinstance(arg, ast.Constant)
        and isinstance(arg.value, str)
        and arg.value.startswith(("http://", "https://", "ftp://"))
        for arg in [*node.args, *(k.value for k in node.keywords)]
    )
