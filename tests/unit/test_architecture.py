"""The import architecture: the import-linter contracts of pyproject.toml hold (layers api /
starter / workflows / activities / storage / models; infra usable by all, importing none of
api and starter), there is no import cycle anywhere (every import counts, those inside
functions too, so a local import cannot hide one), the application imports no project module
inside a function, and the two step routers share their skeleton instead of repeating it."""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Iterator
from pathlib import Path

from config import ROOT
from infra.binaries import binary

#: The project's own code: every module these hold, by dotted name.
APPLICATION = [
    "api",
    "bench",
    "starter",
    "infra",
    "workflows",
    "activities",
    "storage",
    "models",
    "worker.py",
    "config.py",
]
EVERYTHING = [*APPLICATION, "tests"]


def _modules(roots: list[str]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for root in roots:
        path = ROOT / root
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            parts = list(file.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = file
    return out


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _imports(name: str, file: Path, modules: dict[str, Path]) -> Iterator[tuple[str, ast.stmt]]:
    """The project modules ``name`` imports, wherever in the file, with the statement."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), str(file))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from ((m, node) for m in _known(alias.name, modules))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found = list(_known(target if target in modules else base, modules))
                yield from ((m, node) for m in found)


def _known(dotted: str, modules: dict[str, Path]) -> Iterator[str]:
    """``dotted`` if it is a project module, else its nearest project ancestor."""
    parts = dotted.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            yield candidate
            return
        parts.pop()


def _graph(roots: list[str]) -> dict[str, set[str]]:
    modules = _modules(roots)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, file in modules.items():
        for imported, _ in _imports(name, file, modules):
            if imported != name:
                graph[name].add(imported)
        parts = name.split(".")  # importing a module runs its packages' __init__ first
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in modules:
                graph[name].add(parent)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_import_linter_contracts_are_kept() -> None:
    run = subprocess.run([binary("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_no_import_cycle_anywhere() -> None:
    graph = _graph(EVERYTHING)
    assert {"api.main", "worker", "config", "infra.bootstrap", "tests.conftest"} <= set(graph)
    assert "api.routes.projects" in graph["api.main"]
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_made_by_a_function_local_import() -> None:
    """The check itself: a cycle through an import inside a function is one."""
    graph = {"a": {"b"}, "b": set()}
    assert _cycles(graph) == []
    graph["b"].add("a")
    assert _cycles(graph) == [["a", "b"]]


def test_the_application_imports_no_project_module_inside_a_function() -> None:
    modules = _modules(APPLICATION)
    local: list[str] = []
    for file in modules.values():
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    if getattr(node, "level", 0) or any(list(_known(n, modules)) for n in names):
                        local.append(f"{file.relative_to(ROOT)}:{node.lineno} in {fn.name}()")
    assert local == []


def test_the_top_level_modules_keep_their_place() -> None:
    """What import-linter cannot check (worker.py and config.py are single modules): config
    imports nothing of the project; the worker imports neither the API nor the starters; no
    application module imports the worker (make run and the benchmarks start it by path)."""
    graph = _graph(APPLICATION)
    assert graph["config"] == set()
    assert not {m for m in graph["worker"] if m.split(".")[0] in ("api", "starter", "bench")}
    assert [m for m, imported in graph.items() if "worker" in imported] == []


def _blocks(path: Path, size: int = 6) -> set[tuple[str, ...]]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    code = [line for line in lines if line and not line.startswith(("import ", "from ", "#"))]
    return {tuple(code[i : i + size]) for i in range(len(code) - size + 1)}


def test_the_step_routers_repeat_no_block_of_six_lines() -> None:
    """The intake and step skeleton is written once (api/steps.py), not in each router."""
    routes = ROOT / "api" / "routes"
    assert _blocks(routes / "complaints.py") & _blocks(routes / "projects.py") == set()
