"""Fact triage: what code traces and lists, and how the model's answers become verdicts (no model needed)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agents.devsecops import triage_facts as tf
from agents.devsecops.triage_trace import names, trace

QUOTED_SHELL = '''import shlex
import subprocess

BACKUP_ROOT = "/var/backups"


def nightly_dump(database: str) -> str:
    target = f"{BACKUP_ROOT}/{database}.sql.gz"
    cmd = f"pg_dump {shlex.quote(database)} | gzip > {shlex.quote(target)}"
    subprocess.run(cmd, shell=True, check=True)
    return target
'''

TWO_INPUTS = '''from flask import request


def preview_price():
    formula = request.json["formula"]
    base = float(request.json.get("base", 0))
    price = eval(formula, {"__builtins__": {}}, {"base": base})
    return price
'''

SANDBOXED = '''from jinja2.sandbox import SandboxedEnvironment

env = SandboxedEnvironment(autoescape=True)


def preview_email(request):
    body = request.json["body_template"]
    html = env.from_string(body).render(order={})
    return {"html": html}
'''

OWN_CACHE = '''import pickle
from pathlib import Path

CACHE = Path.home() / ".cache" / "geo" / "index.pkl"


def load_index():
    with CACHE.open("rb") as fh:
        return pickle.load(fh)
'''

TYPED_ROUTE = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def items(limit: int = 20, name: str = "x"):
    sql = f"SELECT * FROM items LIMIT {limit}"
    return db.execute(sql)
'''

ETAG = '''import hashlib


def asset(data: bytes, headers: dict) -> dict:
    etag = hashlib.sha1(data).hexdigest()
    headers["ETag"] = etag
    return headers
'''

PASSWORD = '''import hashlib


def store(user, password: str) -> None:
    user.password_hash = hashlib.md5(password.encode()).hexdigest()
'''


def _prepare(src: str, line_text: str, cwe: str = "CWE-78") -> tf.Prepared:
    lines = src.splitlines()
    n = next(i for i, t in enumerate(lines, start=1) if line_text in t)
    fam = tf.family_for([cwe])
    assert fam is not None
    return tf.prepare(fam, "app.py", lines, n, n, [cwe])


def test_trace_lists_the_quote_call_and_its_parameter() -> None:
    lines = QUOTED_SHELL.splitlines()
    flow = trace(lines, (7, 11), (10, 10), [1, 2, 4])
    assert flow.params == ["database"]
    assert [k for k, _ in flow.safeguards] == [9]
    assert flow.uncovered == []
    assert {8, 9, 10} <= set(flow.lines) and 4 in flow.lines  # BACKUP_ROOT, a module constant it uses


def test_a_safeguard_on_one_input_does_not_excuse_another() -> None:
    brief, schema, decide = _prepare(TWO_INPUTS, "price = eval(", "CWE-95")
    assert "float(" in brief and "Request data enters on line(s): 5, 6" in brief
    verdict = decide(schema.model_validate({"reason": "base is a float", "safeguard": 1,
                                            "attacker_controls_value": False}))
    assert verdict.verdict == "true_positive" and "line 5" in verdict.reason


def test_picked_sandbox_makes_a_false_positive_with_the_line_cited() -> None:
    brief, schema, decide = _prepare(SANDBOXED, "html = env.from_string", "CWE-1336")
    assert "uses a sandboxed environment" in brief
    verdict = decide(schema.model_validate({"reason": "sandboxed", "safeguard": 1,
                                            "attacker_controls_value": True}))
    assert verdict.verdict == "false_positive" and verdict.confidence >= 0.9 and "line 3" in verdict.reason


def test_safeguard_number_is_limited_to_the_listed_ones() -> None:
    _brief, schema, _decide = _prepare(SANDBOXED, "html = env.from_string", "CWE-1336")
    with pytest.raises(ValidationError):
        schema.model_validate({"reason": "r", "safeguard": 5, "attacker_controls_value": True})
    _brief, schema, _decide = _prepare(OWN_CACHE, "pickle.load", "CWE-502")
    assert "safeguard" not in schema.model_json_schema()["properties"]


def test_not_attacker_controlled_counts_only_without_request_data_or_parameters() -> None:
    _brief, schema, decide = _prepare(OWN_CACHE, "pickle.load", "CWE-502")
    assert decide(schema.model_validate({"reason": "own cache file", "attacker_controls_value": False})
                  ).verdict == "false_positive"
    _brief, schema, decide = _prepare(TWO_INPUTS, "price = eval(", "CWE-95")
    assert decide(schema.model_validate({"reason": "constant", "safeguard": 0, "attacker_controls_value": False})
                  ).verdict == "true_positive"


def test_number_typed_parameters_are_not_listed_as_inputs() -> None:
    brief, _schema, _decide = _prepare(TYPED_ROUTE, 'sql = f"SELECT', "CWE-89")
    assert "parameter(s)" not in brief  # limit is an int; name never reaches the query
    brief, _schema, _decide = _prepare(TYPED_ROUTE.replace("LIMIT {limit}", "WHERE n = '{name}'"),
                                       'sql = f"SELECT', "CWE-89")
    assert "parameter(s): name" in brief


def test_config_lines_outside_a_closed_function_stay_true_positives() -> None:
    # module-level settings and functions that take input: "not attacker-controlled" is not believed
    src = 'from jinja2 import Environment\n\nenv = Environment(autoescape=False)\n'
    _brief, schema, decide = _prepare(src, "autoescape=False", "CWE-79")
    assert decide(schema.model_validate({"reason": "constant", "attacker_controls_value": False})
                  ).verdict == "true_positive"
    src = ('import xml.sax\n\n\ndef titles(body):\n    parser = xml.sax.make_parser()\n'
           '    parser.setFeature(FEATURE, True)\n    parser.parse(body)\n')
    _brief, schema, decide = _prepare(src, "setFeature", "CWE-611")
    assert decide(schema.model_validate({"reason": "constant", "attacker_controls_value": False})
                  ).verdict == "true_positive"
    assert tf.family_for(["CWE-78"], ".github/workflows/ci.yml") is None
    assert tf.family_for(["CWE-78"], "app.py") is tf.FLOW


def test_use_questions_are_vetoed_by_security_words() -> None:
    _brief, schema, decide = _prepare(ETAG, "hashlib.sha1", "CWE-328")
    assert decide(schema.model_validate({"reason": "an ETag", "used_for": "http_etag"})
                  ).verdict == "false_positive"
    _brief, schema, decide = _prepare(PASSWORD, "hashlib.md5", "CWE-328")
    claim = decide(schema.model_validate({"reason": "a cache key", "used_for": "cache_key"}))
    assert claim.verdict == "true_positive" and claim.confidence < 0.7


def test_cookie_content_decides_and_session_cookies_stay() -> None:
    src = 'def view(resp, theme):\n    resp.set_cookie("ui_theme", theme, samesite="Lax")\n    return resp\n'
    _brief, schema, decide = _prepare(src, "set_cookie", "CWE-614")
    assert decide(schema.model_validate({"reason": "theme", "cookie_holds": "ui_preference"})
                  ).verdict == "false_positive"
    src = 'def view(resp, sid):\n    resp.set_cookie("session_id", sid)\n    return resp\n'
    _brief, schema, decide = _prepare(src, "set_cookie", "CWE-614")
    assert decide(schema.model_validate({"reason": "theme", "cookie_holds": "ui_preference"})
                  ).verdict == "true_positive"


def test_names_read_fstring_expressions_not_text() -> None:
    assert names('q = f"SELECT name FROM t LIMIT {limit}" + other') == {"q", "limit", "other"}
    # PEP 701 nested quotes (Python 3.12+): text analysis, no interpreter parser needed
    assert {"os", "req"} <= names('os.system(f"echo {req.args["n"]}")')


def test_a_signature_over_several_lines_is_read_whole() -> None:
    src = ('import pickle\n\n\ndef load(\n    blob: bytes,\n    strict: bool = True,\n) -> dict:\n'
           '    data = blob\n    return pickle.loads(data)\n')
    brief, schema, decide = _prepare(src, "pickle.loads", "CWE-502")
    assert "parameter(s): blob" in brief and "5" not in brief.split("value:")[1].split("\n")[0]
    assert decide(schema.model_validate({"reason": "internal", "attacker_controls_value": False})
                  ).verdict == "true_positive"



ONE_BODY_TWO_VALUES = '''import os
from flask import request

def print_labels():
    data = request.get_json()
    copies = int(data["copies"])
    label = data["label"]
    os.system(f"lp -n {copies} -t {label}")
'''
CHECKED_AND_UNCHECKED = '''from flask import abort, request
ROOMS = {"a", "b"}

def room_page():
    room = request.args["room"]
    note = request.args["note"]
    if room not in ROOMS:
        abort(400)
    return f"<p>{room}: {note}</p>"
'''


@pytest.mark.parametrize(("code", "sink", "cwe"), [(ONE_BODY_TWO_VALUES, "os.system(", "CWE-78"),
                                                   (CHECKED_AND_UNCHECKED, "return f", "CWE-79")])
def test_a_safeguard_on_one_value_of_a_source_does_not_excuse_its_other_values(code: str, sink: str,
                                                                               cwe: str) -> None:
    brief, schema, decide = _prepare(code, sink, cwe)
    assert "Safeguards found" in brief
    verdict = decide(schema.model_validate({"reason": "guarded", "safeguard": 1, "attacker_controls_value": True}))
    assert verdict.verdict == "true_positive" and "does not pass through" in verdict.reason


def test_a_safeguard_on_the_only_value_that_reaches_the_sink_covers_it() -> None:
    code = ONE_BODY_TWO_VALUES.replace(' -t {label}"', '"')
    brief, schema, decide = _prepare(code, "os.system(", "CWE-78")
    verdict = decide(schema.model_validate({"reason": "a number", "safeguard": 1, "attacker_controls_value": True}))
    assert verdict.verdict == "false_positive" and "line 6" in verdict.reason
    code = CHECKED_AND_UNCHECKED.replace(": {note}", "")
    brief, schema, decide = _prepare(code, "return f", "CWE-79")
    verdict = decide(schema.model_validate({"reason": "allow-list", "safeguard": 1, "attacker_controls_value": True}))
    assert verdict.verdict == "false_positive" and "line 7" in verdict.reason


def test_a_rebind_or_a_safeguard_on_a_branch_that_may_not_run_covers_nothing() -> None:
    code = '''import os
from flask import request
LANGS = {"en", "fr"}

def track():
    lang = request.args["lang"]
    if lang not in LANGS:
        lang = "en"
    name = request.args["name"]
    if len(LANGS) < 2:
        name = "intro.mp3"
    return open(os.path.join("/srv/audio", lang, name)).read()
'''
    brief, schema, decide = _prepare(code, "return open(", "CWE-22")
    verdict = decide(schema.model_validate({"reason": "allow-list", "safeguard": 1, "attacker_controls_value": True}))
    assert verdict.verdict == "true_positive" and "line 9" in verdict.reason
