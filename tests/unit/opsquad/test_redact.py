"""Redaction by format, by structure and by memory: every canary shape is masked in the text alone, and code that
holds no secret is left as it is (the model needs to see it)."""

from __future__ import annotations

import pytest

from opsquad import redact as redact_module
from opsquad.redact import redact, redact_obj, remember, secret_values
from tests.support.canaries import CANARIES, CANARY_FILES, SRE_CANARIES, SRE_TEXTS


@pytest.mark.parametrize("name", sorted(CANARY_FILES))
def test_every_canary_in_every_file_type_is_masked_by_its_shape(name: str) -> None:
    text = CANARY_FILES[name]
    planted = [c for c in CANARIES if c in text]
    assert planted, name
    masked = redact(text)
    assert [c for c in planted if c in masked] == []
    assert "[REDACTED:" in masked


def test_the_canary_set_is_wide_enough() -> None:
    assert len(set(CANARIES)) >= 20 and len(CANARY_FILES) >= 8
    assert all(any(c in text for text in CANARY_FILES.values()) for c in CANARIES)


@pytest.mark.parametrize("where", sorted(SRE_TEXTS))
def test_secrets_in_logs_events_and_labels_are_masked(where: str) -> None:
    masked = redact(SRE_TEXTS[where])
    assert [c for c in SRE_CANARIES if c in masked] == []


def test_the_issue_repro_is_masked() -> None:
    assert redact("DB_PASSWORD=Cnry-Xz3wo6t5CLy9OyjN0r") == "DB_PASSWORD=[REDACTED:secret-assignment]"


@pytest.mark.parametrize("code", [
    'password = request.form["password"]',
    'token = request.args.get("token")',
    "client(api_key=api_key, secret=self.secret, password=None)",
    "SECRET_KEY = os.environ[\"SECRET_KEY\"]",
    "tokenizer: bert_base\nmax_tokens: 1000000",
    "password_file = /run/secrets/db",
    "cur.execute(\"SELECT * FROM users WHERE password = '\" + pw + \"'\")",
    "def add(a, b):\n    return a + b  # password policy lives elsewhere\n",
])
def test_code_that_holds_no_secret_is_kept(code: str) -> None:
    assert redact(code) == code


def test_masking_is_idempotent_and_reaches_nested_values() -> None:
    once = redact(CANARY_FILES[".env"])
    assert redact(once) == once
    assert redact_obj({"a": [CANARY_FILES["deploy.sh"]], "n": 3})["n"] == 3
    assert "CnryShExp-2mZ8q" not in str(redact_obj({"a": [CANARY_FILES["deploy.sh"]]}))


def test_a_remembered_secret_is_masked_in_any_surrounding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redact_module, "_remembered", set())
    monkeypatch.setattr(redact_module, "_remembered_re", None)
    odd = "zq!Cnry~odd~shape~41"
    assert odd in redact(f"the migration printed {odd} to the log")
    remember(odd)
    remember("short")  # too short to mask safely: ignored
    assert redact(f"the migration printed {odd} to the log") == "the migration printed [REDACTED:secret] to the log"
    assert redact("a short answer") == "a short answer"


def test_secret_values_are_what_redaction_would_mask() -> None:
    text = 'psycopg2.connect(host="dbhost", password="S3cretPw-881", user=user)'
    assert secret_values(text) == ["S3cretPw-881"]
    assert secret_values("AKIAABCDEFGHIJKLMNOP and api_key = os.environ['K']") == ["AKIAABCDEFGHIJKLMNOP"]
