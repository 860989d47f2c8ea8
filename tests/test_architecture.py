"""The package's shape (docs/architecture.md): layers, no import cycles, no demo in production.

These read the source with `ast`; they fail when a change breaks a rule of the layout, and say
which module did it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import oct8ne_adapter

PACKAGE_ROOT = Path(oct8ne_adapter.__file__).resolve().parent
PACKAGE = "oct8ne_adapter"
DEMO_PACKAGE = "oct8ne_adapter_demo"
#: Modules allowed to import the demo package (lazily): the CLI's demo commands.
DEMO_IMPORTERS = {f"{PACKAGE}.cli.demo"}
MAX_ROOT_MODULES = 12
#: docs/architecture.md, "Who may import whom": each part's layer, bottom (1) up. A module
#: imports from its own layer or those below it. The longest matching name decides.
LAYERS = {
    "domain": 1,
    "errors": 1,
    "javascript": 1,
    "moments": 1,
    "repository": 1,
    "settings": 2,
    "platform": 3,
    "feeds": 3,
    "sql": 4,
    "search": 5,
    "feeds.importer": 5,
    "feeds.push": 5,
    "events": 6,
    "web": 7,
    "events.http_api": 7,
    "extension": 8,
    "app": 8,
    "": 8,
    "cli": 9,
    "checker": 9,
    "testing": 9,
}
MAX_MODULE_LINES = 400


def module_name(path: Path) -> str:
    """`.../oct8ne_adapter/web/frame.py` -> `oct8ne_adapter.web.frame`."""
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package (migrations aside: Alembic loads them by path)."""
    return {
        module_name(path): path
        for path in sorted(PACKAGE_ROOT.rglob("*.py"))
        if "migrations" not in path.relative_to(PACKAGE_ROOT).parts
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_time_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run (anywhere, functions included), TYPE_CHECKING blocks aside."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (child for block in node.orelse for child in _run_time_imports(block))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _run_time_imports(node)


@cache
def imports_of(name: str) -> frozenset[str]:
    """The package's and the demo's modules that `name` imports at run time."""
    tree = ast.parse(modules()[name].read_text())
    found: set[str] = set()
    for node in _run_time_imports(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target.split(".")[0] == DEMO_PACKAGE:
                found.add(DEMO_PACKAGE)
            # `from pkg import submodule` imports pkg.submodule; a plain name imports pkg.
            while target and target not in modules():
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return frozenset(found)


def _parents(name: str) -> Iterator[str]:
    """A module's packages, whose __init__ runs before it."""
    parts = name.split(".")
    for end in range(1, len(parts)):
        yield ".".join(parts[:end])


def import_cycles() -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), each a run-time import cycle."""
    graph = {
        name: {
            target
            for target in imports_of(name)
            if target in modules() and name not in _parents(target)
        }
        for name in modules()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for name in graph:
        if name not in index:
            visit(name)
    return cycles


def test_no_run_time_import_cycle() -> None:
    assert import_cycles() == []


def layer_of(name: str) -> int:
    """The layer of a module of the package (its longest matching part in LAYERS)."""
    rest = name.partition(".")[2]
    for part in sorted(LAYERS, key=len, reverse=True):
        if part and (rest == part or rest.startswith(f"{part}.")):
            return LAYERS[part]
    return LAYERS[""]


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{name} (layer {layer_of(name)}) imports {target} (layer {layer_of(target)})"
        for name in modules()
        for target in sorted(imports_of(name))
        if target in modules() and target != PACKAGE and layer_of(target) > layer_of(name)
    ]
    assert upward == []


def test_only_the_cli_demo_commands_import_the_demo_package() -> None:
    importers = {name for name in modules() if DEMO_PACKAGE in imports_of(name)}
    assert importers <= DEMO_IMPORTERS


def test_only_the_state_module_reads_app_extensions() -> None:
    readers = {name for name, path in modules().items() if "extensions[" in path.read_text()}
    readers |= {name for name, path in modules().items() if ".extensions.get(" in path.read_text()}
    assert readers <= {f"{PACKAGE}.web.state"}


def test_the_package_root_stays_small() -> None:
    root = sorted(path.name for path in PACKAGE_ROOT.glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, root


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_outgrows_one_concern(name: str) -> None:
    lines = len(modules()[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines; split it by concern"


def test_the_public_names_stay_importable_from_the_package() -> None:
    """Issue 15: `from oct8ne_adapter import create_app, Oct8neAdapter, record_event` stays."""
    from oct8ne_adapter import Oct8neAdapter, create_app, notify_update, record_event
    from oct8ne_adapter.extension import Oct8neAdapter as Extension, record_event as recorder

    assert Oct8neAdapter is Extension and record_event is recorder
    assert callable(create_app) and callable(notify_update)
