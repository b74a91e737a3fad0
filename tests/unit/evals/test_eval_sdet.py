"""The SDET eval's plumbing (cases, scoring by coverage and mutmut, the table) with a scripted generator.

The real run (`opsquad eval sdet`) uses the local model and PyPI source releases; here the generator writes a
known test so the scoring itself is checked: coverage and mutation figures must move with the tests.
"""

from __future__ import annotations

from pathlib import Path

from evals.sdet.run import format_table, load_cases, run_eval
from opsquad.answers import Funnel, TestgenAnswer
from tools import mutation

REDACT_TEST = '''from redact import redact


def test_masks_a_github_token():
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    assert redact(f"token {token} here") == "token [REDACTED:github-token] here"


def test_plain_text_is_untouched():
    assert redact("nothing secret") == "nothing secret"
'''


def test_cases_are_data_with_tags() -> None:
    cases = dict(load_cases())
    assert {"roman", "inflection", "toposort", "opsquad-redact"} <= set(cases)
    assert all(c["tag"] in ("easy", "medium", "hard") for c in cases.values())
    assert all(("pypi" in c["source"]) != ("local" in c["source"]) for c in cases.values())


def test_the_holdout_libraries_are_pinned_releases_of_every_shape() -> None:
    holdout = dict(load_cases(split="holdout"))
    tune = dict(load_cases(split="tune"))
    assert len(holdout) >= 8 and not set(holdout) & set(tune)
    assert {"roman", "inflection", "toposort", "opsquad-redact"} <= set(tune)
    assert all("==" in c["source"]["pypi"] for c in holdout.values())  # a fixed release, never "latest"
    assert {c["shape"] for c in holdout.values()} >= {
        "class with state", "context managers and decorators", "parser", "pure numeric functions",
        "string utility", "small CLI module"}


def test_eval_scores_generated_tests_by_coverage_and_mutants() -> None:
    calls: list[float] = []

    def generate(project: Path, budget: float) -> TestgenAnswer:
        calls.append(budget)
        (project / "tests" / "test_redact_opsquad.py").write_text(REDACT_TEST)
        return TestgenAnswer(summary="2 kept", funnel=Funnel(generated=3, parsed=3, passing=2, kept=2),
                             coverage_before={}, coverage_after={}, time_s={"total_s": 1.0}, stopped_by_budget=False,
                             mutation="not run", discarded=["1 × adds no line or branch coverage"])

    rows = run_eval(generate, ["opsquad-redact"], budget=45, mutate=True)
    assert calls == [45]
    own, ours = rows[0], rows[1]
    assert own.suite == "own tests" and own.note == "no tests shipped"
    assert ours.suite == "opsquad" and ours.tests == 2
    assert 50 < ours.line_pct <= 100
    killed, total = (int(x) for x in ours.mutation.split("/"))
    assert total > 10 and 0 < killed < total
    table = format_table(rows, pynguin_missing=True)
    assert "opsquad-redact" in table and "funnel generated 3 → parsed 3 → passing 2 → kept 2 (" in table


def test_mutmut_configuration_replaces_an_existing_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.mutmut]\nsource_paths = ["old"]\n\n'
                                             '[tool.other]\nkeep = 1\n')
    mutation.configure(tmp_path, ["pkg"], ["tests", "opsquad_generated/test_a.py"])
    text = (tmp_path / "pyproject.toml").read_text()
    assert '"old"' not in text and 'source_paths = ["pkg"]' in text and "[tool.other]\nkeep = 1" in text
    assert 'also_copy = ["opsquad_generated", "tests"]' in text
    assert mutation.function_pattern("pkg.mod", "Box.open") == "pkg.mod.x\u01c1Box\u01c1open__mutmut_*"
