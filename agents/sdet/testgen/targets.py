"""Which functions to write tests for: a module, a file, a package, or the functions changed between two refs.

A target is one function or method, with its source slice and position, because the prompt shows the model
one function at a time (a slice, never the whole file) and coverage is judged on that function's lines.
Everything that can be wrong with the user's input (not a Python project, unknown module, file outside the
project) is an ``OpsquadError`` with one line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from opsquad.errors import OpsquadError

_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
_SKIP_PARTS = {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "opsquad_generated",
               ".venv", "venv", "build", "dist", "node_modules", "__pycache__", ".git", ".tox", "mutants"}
_TEST_FILE = re.compile(r"^(test_.*|.*_test|conftest|setup|noxfile|tasks|fabfile)\.py$")


@dataclass
class Target:
    module: str
    path: Path  # absolute path of the module file in the user's project
    qualname: str
    lineno: int
    end_lineno: int
    source: str
    class_name: str | None = None
    class_source: str = ""  # class header and __init__, for methods
    executable: set[int] = field(default_factory=set)  # statement lines in the body
    attempts: int = 0

    @property
    def key(self) -> str:
        return f"{self.module}.{self.qualname}"


@dataclass
class Project:
    root: Path
    import_root: Path
    modules: dict[str, Path] = field(default_factory=dict)  # import name -> file

    def module_of(self, path: Path) -> str:
        rel = path.resolve().relative_to(self.import_root).with_suffix("")
        parts = list(rel.parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def coverage_source(self, targets: list[Target], import_root: Path) -> str:
        """The top-level packages (as directories under ``import_root``) or modules (as names) of the targets."""
        tops: list[str] = []
        for t in targets:
            top = t.module.split(".")[0]
            pkg = import_root / top
            item = str(pkg) if pkg.is_dir() else top
            if item not in tops:
                tops.append(item)
        return ",".join(tops)


def find_project(path: Path) -> Project:
    path = path.resolve()
    if not path.exists():
        raise OpsquadError(f"{path}: no such file or directory")
    start = path if path.is_dir() else path.parent
    root = start
    for candidate in (start, *start.parents):
        if any((candidate / m).exists() for m in _MARKERS):
            root = candidate
            break
    src = root / "src"
    import_root = src if src.is_dir() and any(p.suffix == ".py" or p.is_dir() for p in src.iterdir()) else root
    project = Project(root=root, import_root=import_root)
    for file in sorted(import_root.rglob("*.py")):
        rel = file.relative_to(import_root)
        if any(part in _SKIP_PARTS or part.startswith(".") for part in rel.parts[:-1]) or _TEST_FILE.match(file.name):
            continue
        if not all(part.isidentifier() for part in rel.with_suffix("").parts):
            continue
        project.modules[project.module_of(file)] = file
    if not project.modules:
        raise OpsquadError(f"{root}: not a Python project (no importable .py modules found)")
    return project


def _functions(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]]:
    out: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append((node, None))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    out.append((item, node))
    return out


def _statements(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[int]:
    """Lines of the body's statements (what coverage counts), without the docstring."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return {n.lineno for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.stmt)}


def _class_context(cls: ast.ClassDef, lines: list[str]) -> str:
    header = lines[cls.lineno - 1: (cls.body[0].lineno - 1) if cls.body else cls.lineno]
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    parts = ["\n".join(header).rstrip()]
    if init is not None:
        parts.append("\n".join(lines[init.lineno - 1: (init.end_lineno or init.lineno)][:25]))
    return "\n".join(parts)


def module_targets(project: Project, module: str, only_lines: set[int] | None = None) -> list[Target]:
    """Every function and method of ``module`` worth a test (dunders other than __init__ skipped)."""
    path = project.modules[module]
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise OpsquadError(f"{path}: does not parse (line {exc.lineno}: {exc.msg})") from None
    lines = text.splitlines()
    targets: list[Target] = []
    for fn, cls in _functions(tree):
        if fn.name.startswith("__") and fn.name.endswith("__") and fn.name not in ("__init__", "__call__"):
            continue
        start = min([fn.lineno, *[d.lineno for d in fn.decorator_list]])
        end = fn.end_lineno or fn.lineno
        if only_lines is not None and not any(start <= n <= end for n in only_lines):
            continue
        if any("pragma: no cover" in lines[i] for i in range(start - 1, min(start + 1, len(lines)))):
            continue
        qual = f"{cls.name}.{fn.name}" if cls else fn.name
        targets.append(Target(module=module, path=path, qualname=qual, lineno=start, end_lineno=end,
                              source="\n".join(lines[start - 1:end]), class_name=cls.name if cls else None,
                              class_source=_class_context(cls, lines) if cls else "", executable=_statements(fn)))
    return targets


def resolve_module(project: Project, name: str) -> str:
    if name in project.modules:
        return name
    raise OpsquadError(f"module '{name}' not found under {project.import_root}")


def resolve_file(project: Project, file: Path) -> str:
    candidates = [file] if file.is_absolute() else [Path.cwd() / file, project.root / file]
    for cand in candidates:
        cand = cand.resolve()
        if cand.is_file():
            if cand.suffix != ".py":
                raise OpsquadError(f"{file}: not a Python file")
            for mod, path in project.modules.items():
                if path.resolve() == cand:
                    return mod
            raise OpsquadError(f"{file}: not an importable module of the project under {project.import_root}")
    raise OpsquadError(f"{file}: no such file")


def package_modules(project: Project, path: Path) -> list[str]:
    """Modules under ``path`` (the project root or a package directory inside it)."""
    path = path.resolve()
    mods = [m for m, f in project.modules.items() if path == project.root or f.resolve().is_relative_to(path)]
    if not mods:
        raise OpsquadError(f"{path}: no Python modules to test there")
    return mods
