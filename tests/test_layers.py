"""The layers hold: an ast walk over every module finds each import (top level, inside functions, under
TYPE_CHECKING, ``importlib.import_module`` / ``__import__`` with a literal name) and checks it against the rules
below, and the module graph has no cycle. See docs/HACKING.md for the layers.

    interfaces (cli, webui), app.py, bench   on top: may import everything below
    eval                                     may import qa, ingest, articleqa
    qa          ingest                       each may import articleqa only
    articleqa                                the core: settings, types, text, models, store
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("articleqa", "qa", "ingest", "eval", "interfaces", "bench", "app.py")

# top-level package -> top-level packages it must never import
FORBIDDEN = {
    "articleqa": {"qa", "ingest", "eval", "interfaces", "app", "bench"},
    "qa": {"ingest", "eval", "interfaces", "app", "bench"},
    "ingest": {"qa", "eval", "interfaces", "app", "bench"},
    "eval": {"interfaces", "app", "bench"},
    "interfaces": {"app", "bench"},
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it names, dotted and absolute (may be a module's attribute: resolved later)
    line: int


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under the scanned packages."""
    out: dict[str, Path] = {}
    for top in SCANNED:
        base = root / top
        files = [base] if base.suffix == ".py" else sorted(base.rglob("*.py"))
        for f in files:
            if f.is_file():
                out[module_name(root, f)] = f
    return out


def _literal_import_name(node: ast.Call) -> str | None:
    """The module named by ``importlib.import_module("x")`` / ``__import__("x")``; for an f-string its constant
    prefix up to the last dot ("interfaces.cli." for f"interfaces.cli.{name}_cmd")."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        prefix = str(arg.values[0].value)
        return prefix.rsplit(".", 1)[0] if "." in prefix else None
    return None


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def imports_of(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(module, is_package, node.level, node.module)
            if base == "__future__":
                continue
            names = [alias.name for alias in node.names if alias.name != "*"] or [""]
            out += [Import(module, f"{base}.{name}".rstrip("."), node.lineno) for name in names]
        elif isinstance(node, ast.Call):
            name = _literal_import_name(node)
            if name:
                out.append(Import(module, name, node.lineno))
    return out


def layer_violations(root: Path) -> list[str]:
    problems = []
    for module, path in source_files(root).items():
        top = module.split(".")[0]
        banned = FORBIDDEN.get(top, set())
        for imp in imports_of(module, path):
            if imp.target.split(".")[0] in banned:
                rel = path.relative_to(root)
                problems.append(f"{rel}:{imp.line}: {top} must not import {imp.target.split('.')[0]} "
                                f"({module} imports {imp.target})")
    return sorted(set(problems))


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the scanned tree it imports (``from a import b`` names a.b when that is a module,
    else a)."""
    files = source_files(root)
    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        for imp in imports_of(module, path):
            target = imp.target
            while target and target not in files:
                target = target.rpartition(".")[0]
            if target and target != module:
                graph[module].add(target)
    return graph


def package_graph(root: Path) -> dict[str, set[str]]:
    """The module graph collapsed onto packages (articleqa.models, qa.retrieval, ...): the edges between them."""
    files = source_files(root)

    def package(m: str) -> str:
        return m if files[m].name == "__init__.py" or "." not in m else m.rpartition(".")[0]

    graph: dict[str, set[str]] = {package(m): set() for m in files}
    for module, targets in import_graph(root).items():
        graph[package(module)] |= {package(t) for t in targets} - {package(module)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


# --------------------------------------------------------------------------------------------------- the tests
def test_no_layer_violations():
    assert layer_violations(REPO) == []


def test_no_import_cycles():
    assert cycles(import_graph(REPO)) == []
    assert cycles(package_graph(REPO)) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return tmp_path


def test_checker_catches_a_core_module_importing_qa(tmp_path):
    root = _tree(tmp_path, {
        "articleqa/__init__.py": "",
        "articleqa/store/__init__.py": "",
        "articleqa/store/x.py": "def f():\n    from qa.assistant import Assistant\n    return Assistant\n",
        "qa/__init__.py": "",
        "qa/assistant.py": "from articleqa.store import x\n",
    })
    assert layer_violations(root) == [
        "articleqa/store/x.py:2: articleqa must not import qa (articleqa.store.x imports qa.assistant.Assistant)",
    ]
    assert cycles(import_graph(root)) == [["articleqa.store.x", "qa.assistant"]]
    assert cycles(package_graph(root)) == [["articleqa.store", "qa"]]


def test_checker_sees_dynamic_and_relative_imports(tmp_path):
    root = _tree(tmp_path, {
        "qa/__init__.py": "",
        "qa/a.py": "import importlib\n\ndef f():\n    return importlib.import_module('ingest.pipeline')\n",
        "qa/b.py": "def g(name):\n    return __import__(f'eval.metrics.{name}')\n",
        "qa/c.py": "from . import d\n",
        "qa/d.py": "from .c import thing\n",
        "ingest/__init__.py": "",
        "eval/__init__.py": "from interfaces.cli import main\n",
    })
    assert layer_violations(root) == [
        "eval/__init__.py:1: eval must not import interfaces (eval imports interfaces.cli.main)",
        "qa/a.py:4: qa must not import ingest (qa.a imports ingest.pipeline)",
        "qa/b.py:2: qa must not import eval (qa.b imports eval.metrics)",
    ]
    assert cycles(import_graph(root)) == [["qa.c", "qa.d"]]


def test_checker_passes_a_clean_tree(tmp_path):
    root = _tree(tmp_path, {
        "articleqa/__init__.py": "from articleqa.settings import Settings\n",
        "articleqa/settings.py": "Settings = dict\n",
        "qa/__init__.py": "from articleqa import settings\n",
        "interfaces/__init__.py": "import qa\nimport ingest\n",
    })
    assert layer_violations(root) == [] and cycles(import_graph(root)) == []
