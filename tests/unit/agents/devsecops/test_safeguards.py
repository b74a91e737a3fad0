"""A safeguard counts only where it fits the sink: one vulnerable case per sink class, with the wrong safeguard
in front of it and a model that always picks it, must stay a true positive; the right one makes it safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.devsecops import triage_facts as tf
from agents.devsecops.safeguards import def_finder, fits, sink_of
from opsquad.findings import Triage

HEAD = "import html\nimport shlex\nimport os\nimport subprocess\nfrom urllib.parse import unquote\n" \
       "from flask import request, redirect, session\nfrom markupsafe import escape\n\n\n"

# (sink class, CWE, the handler body with a safeguard that does not fit, text on the sink line)
WRONG = [
    ("sql", "CWE-89", "    q = html.escape(request.args['q'])\n"
     "    db.execute(\"SELECT * FROM t WHERE n = '\" + q + \"'\")\n",
     "db.execute"),
    ("shell", "CWE-78", "    name = html.escape(request.args['n'])\n    subprocess.run('ls ' + name, shell=True)\n",
     "subprocess.run"),
    ("shell (decoding)", "CWE-78", "    name = unquote(request.args['n'])\n    os.system('ls ' + name)\n",
     "os.system"),
    ("path", "CWE-22", "    name = escape(request.args['f'])\n    return open(os.path.join('/srv', name)).read()\n",
     "open("),
    ("html", "CWE-79", "    name = shlex.quote(request.args['n'])\n    return '<p>' + name + '</p>'\n",
     "return '<p>'"),
    ("redirect", "CWE-601", "    nxt = html.escape(request.args['next'])\n    return redirect(nxt)\n", "redirect("),
    ("ldap", "CWE-90", "    who = html.escape(request.args['u'])\n    conn.search('dc=x', '(uid=' + who + ')')\n",
     "conn.search"),
    ("xpath", "CWE-643", "    who = shlex.quote(request.args['u'])\n    tree.xpath(\"//u[@n='\" + who + \"']\")\n",
     "tree.xpath"),
    ("template", "CWE-1336", "    body = html.escape(request.args['t'])\n    return env.from_string(body).render()\n",
     "env.from_string"),
    ("deserialization", "CWE-502", "    blob = html.escape(request.data)\n    return pickle.loads(blob)\n",
     "pickle.loads"),
    ("session", "CWE-501", "    who = escape(request.args['u'])\n    session['user'] = who\n", "session["),
    ("ssrf", "CWE-918", "    url = html.escape(request.args['u'])\n    return requests.get(url).text\n",
     "requests.get"),
    ("no-op helper", "CWE-78", "    name = sanitize(request.args['n'])\n    os.system('ls ' + name)\n", "os.system"),
]
NOOP = "\n\ndef sanitize(value):\n    return value.strip()\n"


def _decide(body: str, cwe: str, sink_text: str, helper: str = "", root: Path | None = None) -> tuple[str, Triage]:
    src = HEAD + "def handler():\n" + body + helper
    lines = src.splitlines()
    n = next(i for i, t in enumerate(lines, start=1) if sink_text in t and i > 10)
    fam = tf.family_for([cwe])
    assert fam is tf.FLOW
    brief, schema, decide = tf.prepare(fam, "app.py", lines, n, n, [cwe], root)
    picks = schema.model_json_schema()["properties"]
    answer = {"reason": "the listed safeguard makes it safe", "attacker_controls_value": False}
    if "safeguard" in picks:
        answer["safeguard"] = 1
    return brief, decide(schema.model_validate(answer))


@pytest.mark.parametrize(("sink", "cwe", "body", "sink_text"), WRONG, ids=[w[0] for w in WRONG])
def test_a_safeguard_that_does_not_fit_the_sink_never_suppresses(sink: str, cwe: str, body: str,
                                                                 sink_text: str) -> None:
    brief, verdict = _decide(body, cwe, sink_text, NOOP)
    assert verdict.verdict == "true_positive", (sink, brief, verdict)
    assert "No safeguards were found" in brief


RIGHT = [
    ("CWE-78", "    name = shlex.quote(request.args['n'])\n    subprocess.run('ls ' + name, shell=True)\n",
     "subprocess.run"),
    ("CWE-79", "    name = html.escape(request.args['n'])\n    return '<p>' + name + '</p>'\n", "return '<p>'"),
    ("CWE-601", "    nxt = request.args['next']\n    if nxt not in ALLOWED_NEXT:\n        nxt = '/'\n"
                "    return redirect(nxt)\n", "redirect("),
    ("CWE-22", "    name = request.args['f']\n    full = os.path.realpath(os.path.join(BASE, name))\n"
               "    if not full.startswith(BASE):\n        return 'no'\n    return open(full).read()\n", "open("),
]


@pytest.mark.parametrize(("cwe", "body", "sink_text"), RIGHT, ids=[r[0] for r in RIGHT])
def test_a_fitting_safeguard_is_offered_and_counts(cwe: str, body: str, sink_text: str) -> None:
    brief, verdict = _decide(body, cwe, sink_text)
    assert verdict.verdict == "false_positive", (brief, verdict)


def test_a_project_helper_is_trusted_for_what_its_body_does(tmp_path: Path) -> None:
    (tmp_path / "util.py").write_text("import shlex\n\n\ndef clean(value):\n    return shlex.quote(value)\n\n\n"
                                      "def tidy(value):\n    return value.replace('..', '')\n")
    lines = ["from util import clean, tidy"]
    find = def_finder(lines, tmp_path, "app.py")
    assert fits("escapes or quotes the value", "x = clean(v)", "shell", lines, find)
    assert not fits("escapes or quotes the value", "x = clean(v)", "sql", lines, find)
    assert not fits("escapes or quotes the value", "x = sanitize_name(v)", "shell", lines, find)  # body unknown
    assert sink_of(["CWE-20", "CWE-601"]) == "redirect"
