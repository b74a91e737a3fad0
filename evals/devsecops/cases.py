"""Evaluation cases as data: one directory per case with its target file(s) and a ``case.yaml``.

``case.yaml`` declares what the case is (category, language, difficulty), the one CWE that names its weakness,
whether the code really is vulnerable, and where (``file`` and ``line``). Safe cases carry the CWE a naive
rule would report and the line it would flag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opsquad.cwe import normalize_cwe as normalize_cwe  # re-exported: checks.py reads Bandit's ids with it
from opsquad.errors import OpsquadError

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILE = "case.yaml"

# A finding counts for a case when it carries the case's CWE, or a CWE this small map pairs with it (either
# direction). Every pair is a parent/child or alias relation in MITRE's catalogue that tools report
# interchangeably for the same weakness; nothing else is matched.
EQUIVALENT_CWES: dict[str, frozenset[str]] = {
    "CWE-95": frozenset({"CWE-94"}),              # eval injection is a code injection
    "CWE-1336": frozenset({"CWE-94"}),            # server-side template injection runs code
    "CWE-916": frozenset({"CWE-328", "CWE-327"}),  # a fast/weak hash for passwords
    "CWE-328": frozenset({"CWE-327"}),            # weak hash reported as a broken algorithm
    "CWE-338": frozenset({"CWE-330"}),            # weak PRNG, child of insufficient randomness
    "CWE-798": frozenset({"CWE-259"}),            # hard-coded password, child of hard-coded credentials
    "CWE-614": frozenset({"CWE-1004"}),           # session cookie missing Secure / HttpOnly
    "CWE-617": frozenset({"CWE-703"}),            # assert-based checks (Bandit and others use CWE-703)
    "CWE-269": frozenset({"CWE-250"}),            # privilege escalation allowed / unnecessary privileges
}


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    language: str
    difficulty: Literal["easy", "medium", "hard"]
    cwe: str = Field(pattern=r"^CWE-[1-9][0-9]*$")
    vulnerable: bool
    file: str
    line: int | None = Field(default=None, ge=1)
    note: str = Field(min_length=1)
    split: Literal["tune", "holdout"] = Field(
        default="tune", description="tune: looked at while developing; holdout: written first, then only run "
        "(never edited after its first run: add new cases instead)")
    dir: Path = Field(default=Path("."), exclude=True)

    @property
    def path(self) -> Path:
        return self.dir / self.file

    def targets(self) -> list[str]:
        """Every file of the case except ``case.yaml``, relative to the case directory (what is scanned)."""
        return sorted(p.relative_to(self.dir).as_posix() for p in self.dir.rglob("*")
                      if p.is_file() and p.name != CASE_FILE and "__pycache__" not in p.parts)


def cwe_matches(case_cwe: str, finding_cwes: list[str] | set[str]) -> bool:
    for cwe in finding_cwes:
        if cwe == case_cwe or cwe in EQUIVALENT_CWES.get(case_cwe, ()) or case_cwe in EQUIVALENT_CWES.get(cwe, ()):
            return True
    return False


def load_case(case_dir: Path) -> Case:
    meta = case_dir / CASE_FILE
    try:
        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
        case = Case.model_validate({**(data or {}), "dir": case_dir})
    except (OSError, yaml.YAMLError) as exc:
        raise OpsquadError(f"{meta}: cannot read: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise OpsquadError(f"{meta}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    if case.id != case_dir.name:
        raise OpsquadError(f"{meta}: id '{case.id}' differs from its directory name '{case_dir.name}'")
    if case.vulnerable and case.line is None:
        raise OpsquadError(f"{meta}: a vulnerable case needs 'line'")
    if not case.path.is_file():
        raise OpsquadError(f"{meta}: file '{case.file}' does not exist")
    return case


def load_cases(cases_dir: Path | None = None) -> list[Case]:
    root = Path(cases_dir or CASES_DIR)
    if not root.is_dir():
        raise OpsquadError(f"{root}: no such cases directory")
    cases = [load_case(d) for d in sorted(root.iterdir()) if (d / CASE_FILE).is_file()]
    if not cases:
        raise OpsquadError(f"{root}: no case directories (each needs a {CASE_FILE})")
    return cases


def pair_count(cases: list[Case]) -> int:
    """Vulnerable/safe pairs: per category, the smaller of its vulnerable and safe counts."""
    total = 0
    for cat in {c.category for c in cases}:
        vuln = sum(1 for c in cases if c.category == cat and c.vulnerable)
        total += min(vuln, sum(1 for c in cases if c.category == cat and not c.vulnerable))
    return total


