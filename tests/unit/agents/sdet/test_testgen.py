"""SDET test generation: the filter (static, 5/5 runs, coverage gain), oracle repair, the sandbox, the CLI.

The model is scripted here (what a small model typically writes: right calls, some wrong expected values,
a test without an assertion, a flaky one); the real model runs in tests/test_integration_model.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agents.sdet.testgen import oracle
from agents.sdet.testgen.candidates import Candidate, GeneratedBatch, GeneratedTest, RepairedTest, header, static_check
from agents.sdet.testgen.doc_examples import doc_example_test
from agents.sdet.testgen.engine import Settings, run_testgen
from agents.sdet.testgen.targets import find_project, module_targets
from opsquad.answers import TestgenAnswer
from opsquad.errors import OpsquadError
from tests.support.triage_fakes import is_triage, triage_answer

CALC = '''"""A small module to generate tests for."""


def add(a, b):
    return a + b


def clamp(x, lo, hi):
    if lo > hi:
        raise ValueError("lo > hi")
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def fetch(url):
    import urllib.request
    return urllib.request.urlopen(url, timeout=2).read()


class Counter:
    def __init__(self, start=0):
        self.value = start

    def bump(self, n=1):
        if n < 0:
            raise ValueError("negative")
        self.value += n
        return self.value
'''

EXISTING_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


def _project(tmp_path: Path, tests: str | None = EXISTING_TEST) -> Path:
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "calc"\nversion = "0"\n')
    (root / "calc.py").write_text(CALC)
    if tests is not None:
        (root / "tests" / "test_calc.py").write_text(tests)
    return root


def _t(name: str, body: str) -> GeneratedTest:
    return GeneratedTest(name=name, code=f"def {name}():\n" + "".join(f"    {ln}\n" for ln in body.splitlines()))


SCRIPT: dict[str, GeneratedBatch] = {
    "clamp": GeneratedBatch(tests=[
        _t("test_clamp_low", "assert clamp(-5, 0, 10) == 0"),
        _t("test_clamp_high_wrong", "assert clamp(50, 0, 10) == 50"),  # wrong expected value: oracle repairs it
        _t("test_clamp_same", "assert clamp(-1, 0, 10) == 0"),  # adds nothing over test_clamp_low
    ]),
    "Counter.bump": GeneratedBatch(tests=[
        _t("test_bump", "c = Counter(1)\nassert c.bump(2) == 3\nwith pytest.raises(ValueError):\n    c.bump(-1)"),
        _t("test_bump_runs", "Counter().bump()"),  # no assertion
        _t("test_bump_flaky", "import builtins\nn = getattr(builtins, '_opsquad_n', 0) + 1\n"
                              "builtins._opsquad_n = n\nassert Counter(n % 2).value == 1"),
    ]),
    "fetch": GeneratedBatch(tests=[_t("test_fetch", "assert fetch('http://example.com/') == b'ok'")]),
}


def scripted_ask(messages: list[dict[str, str]], kind: type[Any]) -> Any:
    user = messages[-1]["content"]
    if kind is RepairedTest:
        return RepairedTest(test=_t("test_fetch_repaired", "assert fetch('http://example.org/') == b''"))
    for qualname, batch in SCRIPT.items():
        if f"Function to test, `{qualname}`" in user:
            return batch
    return GeneratedBatch(tests=[_t("test_other", "assert Counter(3).value == 3")])


def test_oracle_rewrites_expected_values_and_exceptions(tmp_path: Path) -> None:
    code = ("def test_x():\n    v = [3, 1]\n    assert sorted(v) == [3, 1]\n"
            "    with pytest.raises(KeyError):\n        int('7')\n    assert int('x')\n")
    obs = tmp_path / "obs.jsonl"
    inst = oracle.instrument(code, obs)
    assert inst is not None and inst[1] == 3
    test_file = tmp_path / "test_inst.py"
    test_file.write_text("import pytest\n" + inst[0])
    subprocess.run([sys.executable, "-m", "pytest", "-q", str(test_file), "-p", "no:cacheprovider"],
                   check=True, capture_output=True, cwd=tmp_path)
    rewritten = oracle.rewrite(code, obs, inst[1], set())
    assert rewritten is not None
    text, imports = rewritten
    assert "assert sorted(v) == [1, 3]" in text
    assert "assert int('7') == 7" in text
    assert "with pytest.raises(ValueError):\n        int('x')" in text
    assert imports == []


def test_static_check_requires_an_assertion_and_valid_code() -> None:
    head = header("calc", ["add"])
    assert "no assertion" in static_check(Candidate(1, "calc.add", "test_a", "def test_a():\n    add(1, 2)\n"), head)
    assert "does not parse" in static_check(Candidate(2, "calc.add", "test_b", "def test_b(:\n"), head)
    assert "arguments other than" in static_check(
        Candidate(3, "calc.add", "test_c", "def test_c(db_session):\n    assert 1\n"), head)
    assert static_check(Candidate(5, "calc.add", "t", "def test_e(tmp_path):\n    assert tmp_path\n"), head) == ""
    ok = Candidate(4, "calc.add", "x", "def test_d():\n    with pytest.raises(TypeError):\n        add(1, 'a')\n")
    assert static_check(ok, head) == "" and ok.name == "test_d"


def test_docstring_examples_become_a_seed_test(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "calc.py").write_text(CALC.replace('    return a + b', '    """Add.\n\n    >>> add(2, 2)\n    4\n'
                                               '    >>> add("a", 1)\n    Traceback (most recent call last):\n'
                                               '    TypeError: nope\n    >>> add(1, 1)\n    <object>\n    """\n'
                                               '    return a + b'))
    project = find_project(root)
    add = next(t for t in module_targets(project, "calc") if t.qualname == "add")
    made = doc_example_test(add, {"add"})
    assert made is not None
    name, code = made
    assert name == "test_add_docstring_examples"
    assert "assert add(2, 2) == 4" in code and "with pytest.raises(TypeError):" in code and "<object>" not in code


def test_generation_filter_keeps_only_tests_that_pass_5_of_5_and_add_coverage(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before_tree = sorted(p.relative_to(root) for p in root.rglob("*"))
    project = find_project(root)
    targets = module_targets(project, "calc")
    result = run_testgen(project, targets, scripted_ask,
                         Settings(budget_s=240, parallel=2, reserve_s=5, min_call_s=1, max_attempts=1))
    by_name = {c.name: c for c in result.candidates}
    kept = {c.name for c in result.candidates if c.stage == "kept"}
    assert {"test_clamp_low", "test_clamp_high_wrong", "test_bump"} <= kept
    assert by_name["test_clamp_high_wrong"].origin == "oracle-repaired"
    assert by_name["test_clamp_same"].reason == "adds no line or branch coverage"
    assert by_name["test_bump_runs"].reason.startswith("no assertion")
    assert by_name["test_bump_flaky"].reason.startswith("flaky: passed 3 of 5")
    fetch = [c for c in result.candidates if c.target == "calc.fetch"]
    assert fetch and all(c.stage == "discarded" for c in fetch), "network access is blocked in the sandbox"
    assert "network access is blocked" in fetch[0].reason or "blocked" in fetch[0].reason
    assert result.existing_tests == 1
    assert result.after.line_pct > result.before.line_pct > 0
    assert result.after.branch_pct > result.before.branch_pct
    # the time left went to mutmut over the target functions: the kept suite kills some mutants
    assert result.mutation is not None and int(result.mutation["mutants"]) > 0, result.mutation
    assert 0 < int(result.mutation["killed_by_kept_suite"]) <= int(result.mutation["mutants"])
    text = result.files["test_calc_opsquad.py"]
    assert "assert clamp(50, 0, 10) == 10" in text and "def test_bump_runs" not in text
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before_tree, "the project is never written"
    # the kept file passes on its own, 5 times, in a fresh copy of the project
    (root / "tests" / "test_calc_opsquad.py").write_text(text)
    for _ in range(5):
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=root,
                              capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin"})
        assert proc.returncode == 0, proc.stdout[-800:]


def test_a_project_whose_tests_do_not_run_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path, tests="import not_a_module_anywhere\n\n\ndef test_x():\n    assert True\n")
    project = find_project(root)
    with pytest.raises(OpsquadError, match="own tests do not run: .*not_a_module_anywhere"):
        run_testgen(project, module_targets(project, "calc"), scripted_ask, Settings(budget_s=60))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "opsquad.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(("args", "message"), [
    (["{empty}", "--out", "o"], "not a Python project"),
    (["{proj}", "--module", "nope", "--out", "o"], "module 'nope' not found"),
    (["{proj}", "--file", "missing.py", "--out", "o"], "missing.py: no such file"),
    (["{proj}", "--file", "pyproject.toml", "--out", "o"], "not a Python file"),
    (["{proj}", "--module", "calc", "--file", "calc.py", "--out", "o"], "give one target"),
    (["{proj}", "--base", "HEAD~1", "--out", "o"], "not a git repository"),
    (["{proj}", "--out", "o", "--budget", "5"], "--budget must be at least 30"),
])
def test_cli_bad_targets_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    root = _project(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README").write_text("no code")
    argv = [a.format(proj=root, empty=empty) for a in args]
    proc = _cli("testgen", *argv, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_report_json_shape_from_the_workflow(tmp_path: Path, config: Any) -> None:
    from opsquad.model.protocol import FakeModel
    from opsquad.request import Request
    from tests.support.common import make_services
    from workflows.dispatch import dispatch

    root = _project(tmp_path)
    out = tmp_path / "out"

    def answer(messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        kind = RepairedTest if "test" in schema.get("properties", {}) else GeneratedBatch
        return scripted_ask(messages, kind).model_dump_json()

    model = FakeModel(default=answer)
    req = Request(workflow="testgen", options={"path": str(root), "module": "calc", "out": str(out), "budget": 200})
    result = dispatch(req, make_services(config, model))
    ans = result.report.answer
    assert isinstance(ans, TestgenAnswer)
    funnel = ans.funnel
    assert funnel.generated >= funnel.parsed >= funnel.passing >= funnel.kept >= 3
    assert (out / "test_calc_opsquad.py").exists() and ans.files == [str(out / "test_calc_opsquad.py")]
    assert any("no assertion" in d for d in ans.discarded)
    shape = json.loads(ans.model_dump_json())  # the JSON a user sees keeps every part of the report
    assert {"summary", "funnel", "coverage_before", "coverage_after", "time_s", "mutation", "kept_tests"} <= set(shape)


def test_pr_review_suggests_kept_tests_for_changed_functions(tmp_path: Path, config: Any) -> None:
    from opsquad.model.protocol import FakeModel
    from opsquad.request import Request
    from tests.support.common import git, make_services
    from workflows.dispatch import dispatch

    root = _project(tmp_path)
    (root / "calc.py").write_text(CALC.split("\n\ndef clamp")[0] + "\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    base = git(root, "rev-parse", "HEAD")
    (root / "calc.py").write_text(CALC)
    git(root, "commit", "-qam", "add clamp, fetch, Counter")
    head = git(root, "rev-parse", "HEAD")

    def answer(messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        if is_triage(schema):  # devsecops triage, if any finding needs one
            return json.dumps(triage_answer(schema, "true_positive", "constant"))
        kind = RepairedTest if "test" in schema.get("properties", {}) else GeneratedBatch
        return scripted_ask(messages, kind).model_dump_json()

    config.agents["sdet"].testgen_budget_s = 200
    result = dispatch(Request(workflow="pr_review", repo=str(root), base=base, head=head),
                      make_services(config, FakeModel(default=answer)))
    suggested = [f for f in result.report.findings if f.rule_id == "sdet.suggested-test"]
    assert {f.title for f in suggested} >= {"Suggested test for `clamp`", "Suggested test for `Counter.bump`"}
    clamp = next(f for f in suggested if "clamp" in f.title)
    assert clamp.location is not None and clamp.location.path == "calc.py"  # type: ignore[union-attr]
    assert "def test_clamp" in clamp.remediation and clamp.severity == "info"
    note = next(n for n in result.report.notes if n.agent == "sdet")
    assert int(note.stats["testgen_kept"]) == len(suggested)


def test_shape_repairs_never_change_meaning() -> None:
    from agents.sdet.testgen.candidates import normalize

    assert normalize("test_a", "```python\ndef test_a():\n    assert f(1) == 2\n```")[1] == \
        "def test_a():\n    assert f(1) == 2\n"
    assert normalize("test_b", "assert f(1) == 2")[1] == "def test_b():\n    assert f(1) == 2\n"
    name, code = normalize("test_c", "def check_c():\n    assert f(1) == 2\n")
    assert name == "test_c" and code.startswith("def test_c():")
    assert header("toposort", ["toposort", "CircularDependencyError"]).splitlines() == [
        "import pytest", "from toposort import CircularDependencyError, toposort"]


def test_oracle_does_not_turn_a_test_bug_into_an_expectation(tmp_path: Path) -> None:
    code = "def test_x():\n    assert len.nope(1) == 2\n"
    obs = tmp_path / "obs.jsonl"
    inst = oracle.instrument(code, obs)
    assert inst is not None
    (tmp_path / "test_inst.py").write_text(inst[0])
    subprocess.run([sys.executable, "-m", "pytest", "-q", "test_inst.py", "-p", "no:cacheprovider"],
                   check=True, capture_output=True, cwd=tmp_path)
    assert "AttributeError" in obs.read_text()
    assert oracle.rewrite(code, obs, inst[1], set()) is None
