"""What the model answers (a few test functions) and the static half of the filter.

The answer is schema-constrained: each test is one ``def test_...():`` with its own imports listed apart, so
nothing has to be cut out of prose or code fences. The static checks come first because they are free: a
candidate must parse, define exactly the test it names, and assert something about behaviour (an ``assert``
or ``pytest.raises``); a test that only "runs without error" is discarded.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

ALLOWED_FIXTURES = {"tmp_path", "monkeypatch", "capsys"}
IMPORT_LINE = r"^(import [A-Za-z_][\w.]*( as \w+)?|from [A-Za-z_.][\w.]* import [\w, ]+)$"


class GeneratedTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^test_[A-Za-z0-9_]{1,60}$", description="The test function's name.")
    code: str = Field(max_length=1500, description="The whole function: 'def test_...():' and its body, "
                      "calling the target and asserting exact results or pytest.raises.")


class GeneratedBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    imports: list[str] = Field(default_factory=list, max_length=6,
                               description="Extra import lines the tests need (the target is already imported).")
    tests: list[GeneratedTest] = Field(min_length=1, max_length=3)


class RepairedTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    imports: list[str] = Field(default_factory=list, max_length=6)
    test: GeneratedTest


@dataclass
class Candidate:
    """One generated test on its way through the filter; ``stage`` is where it stopped and why."""

    id: int
    target: str
    name: str
    code: str
    imports: list[str] = field(default_factory=list)
    origin: str = "model"  # model | oracle-repaired | model-repaired
    stage: str = "generated"  # generated, parsed, passing, kept, or discarded
    reason: str = ""
    repairs: int = 0
    parsed: bool = False  # reached each funnel step at least once
    passed: bool = False

    def discard(self, reason: str) -> None:
        self.stage = "discarded"
        self.reason = reason


def clean_imports(lines: list[str]) -> list[str]:
    return [ln.strip() for ln in lines if re.match(IMPORT_LINE, ln.strip())]


def header(module: str, names: list[str]) -> str:
    """Imports every candidate file starts with: pytest, the module, and its public names.

    The module itself is not imported by name when one of its names shadows it (``toposort.toposort``):
    the model would read ``toposort`` as the module and call attributes of the function.
    """
    clash = module.split(".")[0] in names
    out = ["import pytest"] + ([] if clash else [f"import {module}"])
    if names:
        out.append(f"from {module} import {', '.join(sorted(names))}")
    return "\n".join(out)


def public_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name) and t.id.isupper()]
    return names


def normalize(name: str, code: str) -> tuple[str, str]:
    """Undo what small models get wrong about the shape only: code fences, indentation, a body without its
    ``def`` line, a test function that does not start with ``test``. Meaning is never changed."""
    text = re.sub(r"^\s*```[a-zA-Z]*\s*\n|\n\s*```\s*$", "", code.strip("\n")).rstrip()
    text = textwrap.dedent(text)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return name, text + "\n"
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if not fns:
        return name, f"def {name}():\n" + textwrap.indent(text, "    ") + "\n"
    if len(fns) == 1 and not fns[0].name.startswith("test"):
        fns[0].name = name
        return name, ast.unparse(tree) + "\n"
    return name, text + "\n"


def file_text(head: str, cand: Candidate) -> str:
    extra = "\n".join(i for i in cand.imports if i not in head.splitlines())
    return f"{head}\n{extra}\n\n\n{cand.code.strip()}\n"


def _asserts(fn: ast.FunctionDef) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
                        call.func.attr in ("raises", "warns"):
                    return True
    return False


def static_check(cand: Candidate, head: str) -> str:
    """'' if the candidate parses, defines its test and asserts; else the reason to discard it."""
    try:
        tree = ast.parse(file_text(head, cand))
    except SyntaxError as exc:
        return f"does not parse: {exc.msg} (line {exc.lineno})"
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
    if len(tests) != 1:
        return f"expected one test function, found {len(tests)}"
    fn = tests[0]
    unknown = [a.arg for a in fn.args.args if a.arg not in ALLOWED_FIXTURES]
    if unknown or fn.args.kwonlyargs or fn.args.vararg:
        return f"test takes arguments other than pytest's {', '.join(sorted(ALLOWED_FIXTURES))} fixtures"
    if not _asserts(fn):
        return "no assertion about behaviour (no assert or pytest.raises)"
    cand.name = fn.name
    return ""
