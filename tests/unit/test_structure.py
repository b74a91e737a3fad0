"""The shape of the product code, checked on every run: no import cycles, small files, short functions.

Static, from the source: every ``import`` counts (lazy ones inside functions too, since they still tie two
modules together), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.common import REPO_ROOT

PRODUCT = ("opsquad", "agents", "tools", "workflows")
SKIP_PARTS = {"examples", "rules"}  # the bundled example change and Semgrep rule fixtures are data, not code
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


def product_files(root: Path = REPO_ROOT) -> dict[str, Path]:
    """Module name -> file, for every product module."""
    out: dict[str, Path] = {}
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root)
            if SKIP_PARTS & set(rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The product modules ``module`` imports (a ``from pkg import name`` counts as ``pkg.name`` when that is a
    module, else as ``pkg``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:
                    out.add(full)
                elif base in known:
                    out.add(base)
    out.discard(module)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def import_graph(root: Path = REPO_ROOT) -> dict[str, set[str]]:
    files = product_files(root)
    known = set(files)
    return {m: imports_of(m, p, known) for m, p in files.items()}


def long_functions(path: Path) -> list[str]:
    """Functions over the limit whose docstring does not say why they are long."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            if length > MAX_FUNCTION_LINES and "long because" not in doc.lower():
                out.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_no_import_cycle_between_product_modules() -> None:
    assert cycles(import_graph()) == []


def test_no_product_module_over_the_line_limit() -> None:
    long = {str(p.relative_to(REPO_ROOT)): n for p in product_files().values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES}
    assert long == {}


def test_no_long_function_without_a_reason() -> None:
    assert [f for p in product_files().values() for f in long_functions(p)] == []


def test_agents_top_level_is_the_roles_and_the_shared_modules() -> None:
    entries = {p.name for p in (REPO_ROOT / "agents").iterdir() if p.name != "__pycache__"}
    assert entries == {"__init__.py", "base.py", "registry.py", "loop.py", "devsecops", "sre", "sdet"}


# The checks must be able to fail: each finds what it looks for in a small tree built for it.

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_cycle_is_found_even_through_a_lazy_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "opsquad/__init__.py": "", "opsquad/config.py": "def f():\n    from tools.registry import TOOLS\n",
        "tools/__init__.py": "", "tools/registry.py": "from tools.base import Tool\n",
        "tools/base.py": "from opsquad.config import OpsquadConfig\n",
        "agents/__init__.py": "", "workflows/__init__.py": "",
    })
    assert cycles(import_graph(root)) == [["opsquad.config", "tools.base", "tools.registry"]]


def test_type_checking_imports_and_relative_imports_are_read(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "opsquad/__init__.py": "", "opsquad/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                                   "    from opsquad.b import X\n",
        "opsquad/b.py": "from . import a\n", "tools/__init__.py": "", "agents/__init__.py": "",
        "workflows/__init__.py": "",
    })
    graph = import_graph(root)
    assert graph["opsquad.a"] == set() and graph["opsquad.b"] == {"opsquad.a"}
    assert cycles(graph) == []


@pytest.mark.parametrize("lines, flagged", [(MAX_FUNCTION_LINES, False), (MAX_FUNCTION_LINES + 1, True)])
def test_long_function_check_counts_lines(tmp_path: Path, lines: int, flagged: bool) -> None:
    path = REPO_ROOT / "tests" / ".structure-probe.py"
    body = "\n".join("    x = 1" for _ in range(lines - 1))
    try:
        path.write_text(f"def f():\n{body}\n")
        assert bool(long_functions(path)) is flagged
        path.write_text(f'def f():\n    """Long because it is a probe."""\n{body}\n')
        assert long_functions(path) == []
    finally:
        path.unlink(missing_ok=True)
