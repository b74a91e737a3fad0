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
import re
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

from opsquad.cwe import cwe_ids as normalize_cwe  # every CWE-<n> a rule's metadata names
from opsquad.errors import GitError, OpsquadError
from opsquad.findings import FileLocation, Finding, Severity
from opsquad.redact import redact
from tools.base import ToolContext, ToolResult, ToolStatus
from tools.git import changed_files
from tools.read_file import resolve_inside

RULES_DIR = Path(__file__).parent / "rules"
NOT_INSTALLED = "semgrep is not installed: run `make install` or pip install semgrep"
PER_FILE_TIMEOUT_S = 30  # semgrep's --timeout is per rule and file; the whole run is bounded by timeout_s
MAX_EVIDENCE_LINES = 5
_SEVERITY_FROM_SEMGREP = {"ERROR": Severity.high, "WARNING": Severity.medium, "INFO": Severity.low}
_CONFIDENCE = {"HIGH": 0.9, "MEDIUM": 0.6, "LOW": 0.3}
_REGISTRY_PREFIXES = ("p/", "r/", "s/", "auto", "http://", "https://", "gitlab/", "github/")
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: several times faster on the rules


class SemgrepError(OpsquadError):
    """Semgrep is missing, failed, timed out, or was given rules that do not exist."""


@dataclass
class SemgrepRun:
    """One semgrep invocation: raw results and errors, what it scanned, and how long it took."""

    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    scanned: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    cwd: Path = field(default_factory=Path.cwd)
    rule_ids: set[str] = field(default_factory=set)


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
        raise SemgrepError(f"semgrep timed out after {timeout_s:g}s (tools.semgrep.timeout_s)") from exc
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
                engine: str = "osemgrep") -> SemgrepRun:
    """Scan ``targets`` (relative to ``cwd`` or absolute) with local ``rules``; no targets → no run.

    ``osemgrep`` (semgrep's OCaml CLI, ``--experimental``) starts in a fraction of a second where the Python
    CLI takes seconds — most of the cost of a one-file diff scan. If it fails, the Python CLI runs instead.
    """
    if not targets:
        return SemgrepRun(cwd=cwd)
    if not rules:
        raise SemgrepError("no semgrep rules configured (tools.semgrep.rules is empty)")
    config, ids = compile_rules(rules)
    cmd = [
        str(semgrep_binary()), "scan", "--json", "--metrics=off", "--disable-version-check", "--quiet",
        "--timeout", str(max(1, min(PER_FILE_TIMEOUT_S, int(timeout_s)))), "-j", str(max(1, jobs)),
        "--dataflow-traces", "--disable-nosem",  # nosemgrep results come back; the agent marks them suppressed
        "--config", str(config),
    ]
    cmd += [f"./{t}" if str(t).startswith("-") else str(t) for t in targets]
    started = time.monotonic()
    code, out, stderr = _invoke([*cmd[:2], "--experimental", *cmd[2:]] if engine == "osemgrep" else cmd,
                                cwd, timeout_s)
    if engine == "osemgrep" and not _ok(code, out):
        code, out, stderr = _invoke(cmd, cwd, max(1.0, timeout_s - (time.monotonic() - started)))
    elapsed = time.monotonic() - started
    if not _ok(code, out):
        raise SemgrepError(_failure_line(code, out, stderr))
    return SemgrepRun(
        results=list(out.get("results", [])),
        errors=list(out.get("errors", [])),
        scanned=list(out.get("paths", {}).get("scanned", [])),
        elapsed_s=round(elapsed, 2),
        cwd=cwd,
        rule_ids=ids,
    )


def _failure_line(code: int, out: Any, stderr: bytes) -> str:
    """The most useful single line about a failed run: semgrep's own error message, else stderr."""
    if isinstance(out, dict):
        for err in out.get("errors", []):
            text = str(err.get("message") or err.get("type") or "").strip()
            if text:
                return f"semgrep failed (exit {code}): {' '.join(text.split())[:300]}"
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return f"semgrep failed (exit {code}): {lines[-1].strip() if lines else 'no output'}"


def short_rule_id(check_id: str, known: set[str]) -> str:
    """``tools.rules.python-eval-injection`` → ``python-eval-injection`` (the id the rule declares)."""
    if check_id in known:
        return check_id
    matches = [k for k in known if check_id.endswith("." + k)]
    return max(matches, key=len) if matches else check_id


def _severity(meta: dict[str, Any], semgrep_severity: str) -> Severity:
    try:
        return Severity(str(meta.get("severity", "")).lower())
    except ValueError:
        return _SEVERITY_FROM_SEMGREP.get(semgrep_severity.upper(), Severity.medium)


def _confidence(value: Any) -> float:
    if isinstance(value, int | float) and 0.0 <= value <= 1.0:
        return float(value)
    return _CONFIDENCE.get(str(value).upper(), 0.6)


def _title(meta: dict[str, Any], message: str) -> str:
    if meta.get("title"):
        return str(meta["title"]).strip()
    first = re.split(r"(?<=[.!?])\s", message.strip(), maxsplit=1)[0]
    return first[:120].rstrip(".") or "semgrep finding"


def _code_lines(result: dict[str, Any], file: Path) -> str:
    """The matched source lines. Recent semgrep prints "requires login" instead, so read the file."""
    lines = str(result.get("extra", {}).get("lines") or "")
    if lines and lines.strip() != "requires login":
        return "\n".join(lines.strip().splitlines()[:MAX_EVIDENCE_LINES])
    start = int(result["start"]["line"])
    end = min(int(result["end"]["line"]), start + MAX_EVIDENCE_LINES - 1)
    try:
        text = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(ln[:300] for ln in text[start - 1:end]).strip()


def _trace_content(node: Any) -> str:
    """The code text of one dataflow-trace location (``["CliLoc", [loc, text]]`` or ``CliCall``)."""
    if isinstance(node, list) and len(node) == 2 and node[0] in ("CliLoc", "CliCall"):
        return _trace_content(node[1])
    if isinstance(node, list) and node:
        if len(node) == 2 and isinstance(node[0], dict) and isinstance(node[1], str):
            return node[1]
        return _trace_content(node[0])
    return ""


def _trace_text(trace: Any) -> str:
    """A compact "source → via → sink" line for a taint finding, when semgrep reports the trace."""
    if not isinstance(trace, dict):
        return ""
    steps = [_trace_content(trace.get("taint_source"))]
    steps += [str(v.get("content", "")) for v in trace.get("intermediate_vars") or [] if isinstance(v, dict)]
    steps.append(_trace_content(trace.get("taint_sink")))
    steps = [" ".join(s.split())[:80] for s in steps if s and s.strip()]
    return "taint: " + " → ".join(steps) if len(steps) >= 2 else ""


def _relative(path: str, cwd: Path, root: Path) -> tuple[str, Path]:
    file = Path(path) if Path(path).is_absolute() else cwd / path
    try:
        return file.resolve().relative_to(root.resolve()).as_posix(), file
    except ValueError:
        return Path(path).as_posix(), file


def to_findings(run: SemgrepRun, root: Path) -> list[Finding]:
    """Semgrep results → ``Finding``s with paths relative to ``root`` and normalized severity and CWE."""
    findings: list[Finding] = []
    for result in run.results:
        extra = result.get("extra", {})
        meta = extra.get("metadata") or {}
        message = " ".join(str(extra.get("message", "")).split())
        rel, file = _relative(str(result["path"]), run.cwd, root)
        evidence = _code_lines(result, file)
        trace = _trace_text(extra.get("dataflow_trace"))
        if trace:
            evidence = f"{evidence}\n{trace}" if evidence else trace
        fix = extra.get("fix")
        remediation = str(meta.get("remediation") or (f"Suggested fix: {fix}" if fix else "")).strip()
        start, end = result["start"], result["end"]
        findings.append(Finding(
            rule_id=short_rule_id(str(result["check_id"]), run.rule_ids),
            title=_title(meta, message),
            message=message,
            severity=_severity(meta, str(extra.get("severity", ""))),
            confidence=_confidence(meta.get("confidence")),
            category=str(meta.get("category") or "security"),
            cwe=normalize_cwe(meta.get("cwe")),
            location=FileLocation(
                path=rel, start_line=max(1, int(start["line"])), end_line=max(1, int(end["line"])),
                start_col=start.get("col"), end_col=end.get("col"),
            ),
            evidence=redact(evidence),
            remediation=" ".join(remediation.split()),
            source="semgrep",
            agent="devsecops",
        ))
    return findings


def rules_marked(run: SemgrepRun, key: str, value: str) -> set[str]:
    """Short ids of the rules whose results carry ``metadata[key] == value`` (e.g. ``in-tests: keep``)."""
    return {short_rule_id(str(r["check_id"]), run.rule_ids) for r in run.results
            if str((r.get("extra", {}).get("metadata") or {}).get(key, "")) == value}


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
