"""The package's folders are the stages of a run, and imports only point down the stages: a module never
imports one from a later stage (lazy imports inside functions included), and no two modules import each
other. The stages, first to last, as the README's module map lists them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "oci_magic"

# A module may import from its own stage and the ones above it in this list.
STAGES = [
    ("errors", "versions"),  # what every stage shares
    ("notebook",),  # what the loop learns about the notebook
    ("undo",),  # what code may touch, and the way back
    ("safety",),  # what code would do outside the kernel that the user should agree to first
    ("candidates",),  # candidates tried in forks, compared and chosen
    ("executors",),  # running code
    ("checks", "backends"),  # judging a round; the engines that write code
    ("loop", "models"),  # the loop and its records; getting a model
    ("completion",),  # suggestions as the user types: the prompt around the cursor, where one ends
    ("plan",),  # a request as a plan of steps, each one run of the loop
    ("views",),  # showing a run
    ("jupyter",),  # the Jupyter shell: magics, the kernel's OciMagics, cells, the comm
    ("evaluation", "bench", "cli", "__init__"),  # what drives it all
]
STAGE_OF = {part: index for index, parts in enumerate(STAGES) for part in parts}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The oci_magic modules `path` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("oci_magic"):
            assert node.level == 0, f"{path}: relative import (the package imports by absolute name)"
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("oci_magic"))
    return found


def stage(module: str) -> int:
    parts = module.split(".")
    return STAGE_OF["__init__"] if len(parts) == 1 else STAGE_OF[parts[1]]


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(path) for path in FILES}
GRAPH = {module_name(path): imported_modules(path) for path in FILES}


def test_every_module_has_a_stage():
    assert {module.split(".")[1] for module in MODULES if "." in module} <= set(STAGE_OF)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_import_points_up(module):
    later = sorted(target for target in GRAPH[module] if stage(target) > stage(module))
    assert not later, f"{module} imports from a later stage: {later}"


def test_no_import_cycle():
    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for target in GRAPH.get(todo.pop(), ()):
                # a package's __init__ is imported on the way to its modules; it is not a cycle by itself
                if target not in seen and target in GRAPH:
                    seen.add(target)
                    todo.append(target)
        return seen

    cycles = sorted(module for module in GRAPH if module in reach(module))
    assert not cycles, f"modules that import themselves through others: {cycles}"
