"""Run the Semgrep CLI offline with opsquad's rules and turn its JSON into ``Finding``s.

Semgrep is the deterministic half of the DevSecOps review: it finds candidates, the model only triages
them. So the run must be reproducible and private: metrics and version checks are off, only local rule
files are used (never ``--config auto`` or the registry), and "builtin" means the rules shipped in
``tools/rules``. Failures are one-line ``SemgrepError``s; the tool wrapper turns them into ``ToolResult``s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, Field

from opsquad.errors import GitError, OpsquadError
from opsquad.findings import FileLocation
from tools.base import ToolContext, ToolResult, ToolStatus
from tools.git import changed_files
from tools.read_file import resolve_inside
from tools.semgrep_findings import to_findings
from tools.semgrep_skips import FileBudget, skipped_files

RULES_DIR = Path(__file__).parent / "rules"
NOT_INSTALLED = "semgrep is not installed: run `make install` or pip install semgrep"
PER_FILE_TIMEOUT_S = 30  # semgrep's --timeout is per rule and file; the whole run is bounded by timeout_s
_REGISTRY_PREFIXES = ("p/", "r/", "s/", "auto", "http://", "https://", "gitlab/", "github/")
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: several times faster on the rules


class SemgrepError(OpsquadError):
    """Semgrep is missing, failed, timed out, or was given rules that do not exist."""


class SemgrepTimeout(SemgrepError):
    """Semgrep ran out of its time and was stopped."""


@dataclass
class SemgrepRun:
    """One semgrep invocation: raw results and errors, what it scanned, and how long it took."""

    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    cwd: Path = field(default_factory=Path.cwd)
    rule_ids: set[str] = field(default_factory=set)
    skipped: list[dict[str, str]] = field(default_factory=list)  # path, reason, details (``semgrep_skips``)


def semgrep_binary() -> Path:
    """The semgrep next to this interpreter (the venv's own), else the one on PATH."""
    beside = Path(sys.executable).parent / "semgrep"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("semgrep")
    if found:
        return Path(found)
    raise SemgrepError(NOT_INSTALLED)


def resolve_rules(entries: list[str], base: Path | None = None) -> list[Path]:
    """Config rule entries → local paths: "builtin" is ``tools/rules``; others are files or directories.

    Relative paths are tried against ``base`` (the repository) first, then the current directory. Registry
    names are refused rather than fetched: opsquad scans offline.
    """
    paths: list[Path] = []
    for entry in entries:
        if entry == "builtin":
            paths.append(RULES_DIR)
            continue
        as_path = Path(entry)
        candidates = [as_path] if as_path.is_absolute() else [(base or Path.cwd()) / entry, as_path]
        found = next((c for c in candidates if c.exists()), None)
        if found is None:
            registry = entry.startswith(_REGISTRY_PREFIXES)
            hint = " (registry rules are not used: opsquad runs offline)" if registry else ""
            raise SemgrepError(f"semgrep rules not found: {entry}{hint}")
        paths.append(found)
    return paths


def compile_rules(rules: list[Path]) -> tuple[Path, set[str]]:
    """All rule files as one JSON config (YAML aliases resolved), cached by content; and the rule ids.

    One file loads faster than a directory, and resolving aliases here lets the OCaml engine read rules
    that use YAML anchors.
    """
    files: list[Path] = []
    for r in rules:
        files += sorted(p for p in r.rglob("*.y*ml")) if r.is_dir() else [r]
    combined: list[Any] = []
    for f in files:
        try:
            doc = yaml.load(f.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
        except (OSError, UnicodeDecodeError) as exc:
            raise SemgrepError(f"{f}: cannot read rules: {exc}") from None
        except yaml.YAMLError as exc:
            raise SemgrepError(f"{f}: invalid YAML in rules: {str(exc).splitlines()[0]}") from None
        if isinstance(doc, dict) and isinstance(doc.get("rules"), list):
            combined += doc["rules"]
    if not combined:
        raise SemgrepError(f"no semgrep rules found in {', '.join(str(r) for r in rules)}")
    body = json.dumps({"rules": combined}, sort_keys=True)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "opsquad" / "rules"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{hashlib.sha256(body.encode()).hexdigest()[:24]}.json"
    if not target.exists():
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(target)
    ids = {r["id"] for r in combined if isinstance(r, dict) and isinstance(r.get("id"), str)}
    return target, ids


def _invoke(cmd: list[str], cwd: Path, timeout_s: float) -> tuple[int, Any, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "SEMGREP_APP_TOKEN"}
    env.update(SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")
    try:
        # Own session, so a timeout can stop semgrep-core workers too, not just the Python wrapper.
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
    except FileNotFoundError as exc:
        raise SemgrepError(NOT_INSTALLED) from exc
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise SemgrepTimeout(f"semgrep timed out after {timeout_s:g}s (tools.semgrep.timeout_s)") from exc
    try:
        # Semgrep copies source text into its report; a file with a stray non-UTF-8 byte must cost that text, not
        # the scan.
        out = json.loads((stdout or b"{}").decode("utf-8", "replace"))
    except json.JSONDecodeError:
        out = None
    return proc.returncode, out, stderr


def _ok(code: int, out: Any) -> bool:
    return isinstance(out, dict) and (code in (0, 1) or bool(out.get("results")))


def run_semgrep(targets: list[Path], rules: list[Path], cwd: Path, timeout_s: float, jobs: int,
                engine: str = "osemgrep", budget: FileBudget | None = None) -> SemgrepRun:
    """Scan ``targets`` (relative to ``cwd`` or absolute) with local ``rules``; no targets → no run.

    ``osemgrep`` (semgrep's OCaml CLI, ``--experimental``) starts in a fraction of a second where the Python
    CLI takes seconds — most of the cost of a one-file diff scan. If it fails, the Python CLI runs instead.
    Large files are left out of the main run and scanned one by one within the per-file ``budget``, so one junk
    file costs its budget, never the scan.
    """
    if not targets:
        return SemgrepRun(cwd=cwd)
    if not rules:
        raise SemgrepError("no semgrep rules configured (tools.semgrep.rules is empty)")
    budget = budget or FileBudget()
    config, ids = compile_rules(rules)
    started = time.monotonic()
    out = _scan(targets, config, cwd, timeout_s, jobs, engine, min(budget.large_bytes, budget.max_bytes))
    run = SemgrepRun(results=list(out.get("results", [])), errors=list(out.get("errors", [])),
                     scanned=list(out.get("paths", {}).get("scanned", [])), cwd=cwd, rule_ids=ids,
                     skipped=skipped_files(out))
    for entry in [e for e in run.skipped if _large_not_huge(e, cwd, budget)]:
        _scan_large(run, entry, config, budget, timeout_s - (time.monotonic() - started), engine)
    run.elapsed_s = round(time.monotonic() - started, 2)
    return run


def _scan(targets: list[Path], config: Path, cwd: Path, timeout_s: float, jobs: int, engine: str,
          max_bytes: int) -> dict[str, Any]:
    """One semgrep invocation's JSON report (``--verbose`` so that it lists skipped files with a reason)."""
    cmd = [
        str(semgrep_binary()), "scan", "--json", "--metrics=off", "--disable-version-check", "--verbose",
        "--timeout", str(max(1, min(PER_FILE_TIMEOUT_S, int(timeout_s)))), "-j", str(max(1, jobs)),
        "--max-target-bytes", str(max_bytes),
        "--dataflow-traces", "--disable-nosem",  # nosemgrep results come back; the agent marks them suppressed
        "--config", str(config),
    ]
    cmd += [f"./{t}" if str(t).startswith("-") else str(t) for t in targets]
    started = time.monotonic()
    code, out, stderr = _invoke([*cmd[:2], "--experimental", *cmd[2:]] if engine == "osemgrep" else cmd,
                                cwd, timeout_s)
    if engine == "osemgrep" and not _ok(code, out):
        code, out, stderr = _invoke(cmd, cwd, max(1.0, timeout_s - (time.monotonic() - started)))
    if not _ok(code, out):
        raise SemgrepError(_failure_line(code, out, stderr))
    return dict(out)


def _large_not_huge(entry: dict[str, str], cwd: Path, budget: FileBudget) -> bool:
    if entry["reason"] not in ("too_big", "exceeded_size_limit") or budget.large_bytes >= budget.max_bytes:
        return False
    path = Path(entry["path"]) if Path(entry["path"]).is_absolute() else cwd / entry["path"]
    try:
        return path.stat().st_size <= budget.max_bytes
    except OSError:
        return False


def _scan_large(run: SemgrepRun, entry: dict[str, str], config: Path, budget: FileBudget, left_s: float,
                engine: str) -> None:
    """Scan one large file on its own within the per-file budget; past it, the file is listed, not scanned."""
    seconds = min(budget.seconds, left_s)
    if seconds < 1:
        entry.update(reason="time_budget", details="no time left in tools.semgrep.timeout_s")
        return
    try:
        out = _scan([Path(entry["path"])], config, run.cwd, seconds, 1, engine, budget.max_bytes)
    except SemgrepTimeout:
        entry.update(reason="time_budget", details=f"not done within {seconds:g}s (tools.semgrep.file_budget_s)")
        return
    run.skipped.remove(entry)
    run.results += list(out.get("results", []))
    run.errors += list(out.get("errors", []))
    run.scanned += list(out.get("paths", {}).get("scanned", []))
    run.skipped += skipped_files(out)


def _failure_line(code: int, out: Any, stderr: bytes) -> str:
    """The most useful single line about a failed run: semgrep's own error message, else stderr."""
    if isinstance(out, dict):
        for err in out.get("errors", []):
            text = str(err.get("message") or err.get("type") or "").strip()
            if text:
                return f"semgrep failed (exit {code}): {' '.join(text.split())[:300]}"
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return f"semgrep failed (exit {code}): {lines[-1].strip() if lines else 'no output'}"


class SemgrepParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(
        default_factory=list,
        description="Repository-relative files or directories to scan. Leave empty to scan the files "
        "changed in this review.",
    )


class SemgrepTool:
    """Lets the model (re)scan specific files with opsquad's Semgrep rules and see compact findings."""

    name: ClassVar[str] = "semgrep"
    description: ClassVar[str] = (
        "Scan files of the repository under review with Semgrep security rules (offline, opsquad's own "
        "rules). Returns findings with rule id, severity, CWE, file and line."
    )
    Params: ClassVar[type[BaseModel]] = SemgrepParams
    writes: ClassVar[bool] = False
    max_findings: ClassVar[int] = 50

    def run(self, params: BaseModel, ctx: ToolContext) -> ToolResult:
        try:
            p = SemgrepParams.model_validate(params.model_dump())
            return self._run(p, ctx)
        except OpsquadError as exc:
            return ToolResult.fail(exc.line)
        except Exception as exc:  # a tool never raises into the run
            return ToolResult.fail(f"semgrep tool failed: {type(exc).__name__}: {exc}".splitlines()[0])

    def _targets(self, p: SemgrepParams, ctx: ToolContext, repo: Path) -> list[str] | ToolResult:
        """Requested paths, else ``ctx.extra["changed_files"]``, else git's changed files, else the repo."""
        if p.paths:
            wanted = p.paths
        elif isinstance(ctx.extra.get("changed_files"), list):
            wanted = [str(x) for x in ctx.extra["changed_files"]]
        elif ctx.base:
            try:
                wanted = changed_files(repo, ctx.base, ctx.head or "HEAD")
            except GitError as exc:
                return ToolResult.fail(exc.line)
        else:
            wanted = ["."]
        for rel in wanted:
            if resolve_inside(repo, rel) is None:
                return ToolResult(status=ToolStatus.denied, error=f"{rel} is outside the repository")
        return [rel for rel in wanted if (repo / rel).exists()]

    def _run(self, p: SemgrepParams, ctx: ToolContext) -> ToolResult:
        if ctx.repo is None:
            return ToolResult.fail("no repository in this run")
        repo = ctx.repo
        targets = self._targets(p, ctx, repo)
        if isinstance(targets, ToolResult):
            return targets
        if not targets:
            return ToolResult.empty("no files to scan")
        cfg = ctx.config.tools.semgrep
        rules = resolve_rules(cfg.rules, repo)
        run = run_semgrep([Path(t) for t in targets], rules, repo, cfg.timeout_s, cfg.jobs)
        findings = sorted(to_findings(run, repo), key=lambda f: -f.severity.rank)
        shown = [
            {
                "rule_id": f.rule_id, "severity": f.severity.value, "cwe": f.cwe, "title": f.title,
                "path": f.location.path if isinstance(f.location, FileLocation) else "",
                "line": f.location.start_line if isinstance(f.location, FileLocation) else 0,
                "evidence": f.evidence,
            }
            for f in findings[: self.max_findings]
        ]
        errors = [" ".join(str(e.get("message", e.get("type", ""))).split())[:200] for e in run.errors[:5]]
        return ToolResult.ok({
            "files_scanned": len(run.scanned),
            "findings": shown,
            "findings_total": len(findings),
            "errors": errors,
            "elapsed_s": run.elapsed_s,
        })
