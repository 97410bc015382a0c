"""The house rules of docs/architecture.md, read from the code's own imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", ".git", "tests", "bench", ".data", ".sandbox", "node_modules", "__pycache__", "build"}
MAX_LINES = 450
IO_LIBRARIES = ("github", "httpx", "requests", "urllib3", "structlog")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP or part.startswith(".") for part in rel.parts[:-1]):
            continue
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


MODULES = _modules()
TOP = {name.split(".")[0] for name in MODULES}


def _imports(path: Path) -> set[str]:
    """Every module named by an import, with `from a import b` also as `a.b` (b may be a module)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{alias.name}" for alias in node.names}
    return out


def _ours(path: Path) -> set[str]:
    return {name for name in _imports(path) if name in MODULES}


GRAPH = {name: _ours(path) - {name} for name, path in MODULES.items()}


def _room(module: str) -> str:
    return module.split(".")[0]


def test_the_layout_has_its_rooms() -> None:
    assert {"hotfix", "workflows", "activities", "cli", "service", "local", "sandbox"} <= TOP
    assert {"starter", "worker"} <= TOP


def test_the_ground_floor_imports_nothing_of_ours_above_it() -> None:
    bad = [f"{m} imports {d}" for m, deps in GRAPH.items() for d in deps if _room(m) == "hotfix" != _room(d)]
    assert not bad


def test_only_local_tests_and_bench_reach_the_sandbox_and_the_local_stack() -> None:
    bad = [
        f"{m} imports {d}"
        for m, deps in GRAPH.items()
        for d in deps
        if _room(d) in ("sandbox", "local") and _room(m) not in ("sandbox", "local")
    ]
    assert not bad
    # The sandbox is reached over HTTP, like GitHub: it imports nothing of the product either.
    sandbox_out = [
        f"{m} imports {d}" for m, deps in GRAPH.items() for d in deps if _room(m) == "sandbox" != _room(d)
    ]
    assert not sandbox_out


def test_workflows_do_no_io_and_know_no_entry_point() -> None:
    bad = []
    for module, path in MODULES.items():
        if _room(module) != "workflows":
            continue
        for name in _imports(path):
            if name.split(".")[0] in IO_LIBRARIES:
                bad.append(f"{module} imports {name}")
            if name.split(".")[0] in ("cli", "local", "service", "starter", "worker", "webhooks"):
                bad.append(f"{module} imports {name}")
    assert not bad


def test_no_import_circles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    assert not circles


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_450_lines(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(ROOT)}: {lines} lines"
