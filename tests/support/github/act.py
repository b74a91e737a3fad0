"""Running the example workflow under ``act`` on the host (no Docker), with stubs for the remote actions.

``act -P ubuntu-latest=-self-hosted`` runs ``run:`` steps and composite actions directly on this machine.
Remote actions are replaced with ``--local-repository OWNER/NAME@REF=DIR``: opsquad itself by a clean copy of
this repository (tracked and new files, no venv, as a ``uses:`` checkout would be), the others by stubs
written here that do the minimum and record what they were given:

- ``actions/checkout``: none needed: act treats a checkout of the repository under test as its own copy of
  the working directory (history included) into the workspace;
- ``actions/setup-python``: points at this machine's base Python 3.11+;
- ``actions/cache/restore``: "restores" the model by linking this machine's verified GGUF into the requested
  path when the key names its sha256 (what a cache hit does); ``actions/cache/save`` records what it was
  asked to save;
- ``github/codeql-action/upload-sarif``: copies the SARIF file it is given, for the schema check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.common import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "opsquad.yml"


def act_binary() -> str | None:
    beside = Path(sys.executable).parent / "act"
    return str(beside) if beside.is_file() else shutil.which("act")


def base_python() -> str:
    """A Python outside the venv (what setup-python would provide)."""
    exe = Path(getattr(sys, "_base_executable", sys.executable))
    return str(exe if exe.is_file() else Path(sys.base_prefix) / "bin" / "python3")


def clean_copy(dest: Path) -> Path:
    """This repository as a ``uses:`` checkout sees it: tracked and untracked-but-not-ignored files."""
    names = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                           check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, names):
        src = REPO_ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _composite(dest: Path, name: str, inputs: list[str], script: str, outputs: tuple[str, ...] = ()) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    ins = "".join(f"  {i}:\n    required: false\n    default: ''\n" for i in inputs)
    outs = "".join(f"  {o}:\n    value: ${{{{ steps.s.outputs.{o} }}}}\n" for o in outputs)
    env = "".join(f"        IN_{i.upper().replace('-', '_')}: ${{{{ inputs.{i} }}}}\n" for i in inputs)
    body = "\n".join("        " + line for line in script.strip().splitlines())
    (dest / "action.yml").write_text(
        f"name: {name} (test stub)\ninputs:\n{ins}" + (f"outputs:\n{outs}" if outputs else "") +
        f"runs:\n  using: composite\n  steps:\n    - id: s\n      shell: bash\n      env:\n{env}"
        f"      run: |\n{body}\n")


@dataclass
class Stubs:
    root: Path
    record: Path
    uploads: Path

    def mappings(self) -> list[str]:
        return [f"actions/setup-python@v5={self.root / 'python'}", f"actions/cache@v4={self.root / 'cache'}",
                f"github/codeql-action@v3={self.root / 'codeql'}"]

    def records(self, kind: str) -> list[list[str]]:
        rows = [line.split("\t") for line in self.record.read_text().splitlines()] if self.record.exists() else []
        return [r[1:] for r in rows if r[0] == kind]


def write_stubs(root: Path, model_file: Path) -> Stubs:
    record, uploads = root / "record.tsv", root / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    rec = 'printf "%s\\t%s\\t%s\\n"'
    _composite(root / "python", "setup-python", ["python-version"],
               f'{rec} python "$IN_PYTHON_VERSION" "" >> "{record}"\n'
               f'echo "python-path={base_python()}" >> "$GITHUB_OUTPUT"', ("python-path",))
    sha = model_file.with_name(model_file.name + ".sha256").read_text().split()[0]
    _composite(root / "cache" / "save", "cache-save", ["path", "key"],
               f'{rec} save "$IN_KEY" "$IN_PATH" >> "{record}"')
    _composite(root / "cache" / "restore", "cache-restore", ["path", "key"], f"""
{rec} cache "$IN_KEY" "$IN_PATH" >> "{record}"
if [ "$IN_KEY" = "opsquad-model-{sha}" ]; then
  mkdir -p "$IN_PATH"
  ln -sf "{model_file}" "$IN_PATH/{model_file.name}"
  cp "{model_file}.sha256" "$IN_PATH/{model_file.name}.sha256"
  echo "cache-hit=true" >> "$GITHUB_OUTPUT"
else
  echo "cache-hit=false" >> "$GITHUB_OUTPUT"
fi""", ("cache-hit",))
    _composite(root / "codeql" / "upload-sarif", "upload-sarif", ["sarif_file", "category"], f"""
n=$(ls "{uploads}" | wc -l)
cp "$IN_SARIF_FILE" "{uploads}/$n.sarif"
{rec} upload "$IN_SARIF_FILE" "$IN_CATEGORY" >> "{record}"
""")
    return Stubs(root, record, uploads)


def uses_ref(workflow: Path, repo: str = "opsquad/opsquad") -> str:
    """The ``owner/name@ref`` the workflow uses for opsquad (whatever the README pins)."""
    m = re.search(rf"^\s*(?:-\s+)?uses:\s*({re.escape(repo)}@\S+)", workflow.read_text(), re.M)
    assert m, f"{workflow} does not use {repo}"
    return m.group(1)


def run_act(act: str, repo: Path, event: Path, home: Path, action: Path, stubs: Stubs, api_url: str, token: str,
            log: Path, timeout_s: float = 1800) -> subprocess.CompletedProcess[str]:
    """One ``act pull_request`` run of the workflow in ``repo``; the log is kept in ``log``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACT", "RUNNER_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    env.pop("OPSQUAD_MODEL_CACHE", None)  # the action restores the model into $HOME/.cache like on a runner
    cmd = [act, "pull_request", "-P", "ubuntu-latest=-self-hosted", "-e", str(event),
           "-W", str(repo / ".github" / "workflows" / WORKFLOW.name), "--no-cache-server",
           "--local-repository", f"{uses_ref(WORKFLOW)}={action}",
           *[arg for m in stubs.mappings() for arg in ("--local-repository", m)],
           "-s", f"GITHUB_TOKEN={token}", "--env", f"GITHUB_API_URL={api_url}"]
    res = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout_s)
    log.write_text(res.stdout + "\n--- stderr ---\n" + res.stderr)
    return res
