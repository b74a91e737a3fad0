"""Constant and dead-branch reasoning: safe twins are proven in code, vulnerable ones are never proven."""

from __future__ import annotations

import pytest

from agents.devsecops.constant_flow import prove_constant
from agents.devsecops.safeguards import neutralizers_for

HEAD = "import os\nfrom flask import request\n\nLIMIT = 200\n\n\ndef handler():\n    param = request.args.get('x')\n"

# (name, body lines after `param = ...`, the sink line's text) — each must be proven safe
SAFE = [
    ("ternary on constant arithmetic", "    num = 106\n    bar = 'safe' if (7 * 18) + num > LIMIT else param\n"
     "    os.system('echo ' + bar)\n"),
    ("if/else on a constant", "    num = 86\n    if (7 * 42) - num > 200:\n        bar = 'constant'\n"
     "    else:\n        bar = param\n    os.system('echo ' + bar)\n"),
    ("switch keyed by a constant", "    guess = 'ABC'\n    target = guess[1]\n    if target == 'A':\n"
     "        bar = param\n    elif target == 'B':\n        bar = 'bob'\n    else:\n        bar = param\n"
     "    os.system('echo ' + bar)\n"),
    ("list pop and index", "    values = []\n    values.append('safe')\n    values.append(param)\n"
     "    values.append('moresafe')\n    values.pop(0)\n    bar = values[1]\n    os.system('echo ' + bar)\n"),
    ("dict constant key", "    m = {}\n    m['keyA'] = 'a_value'\n    m['keyB'] = param\n    bar = m['keyA']\n"
     "    os.system(f'echo {bar}')\n"),
    ("overwritten by a constant", "    bar = param\n    bar = 'fixed'.replace('f', 'm')\n"
     "    os.system('echo ' + bar)\n"),
    ("sink on a dead branch", "    if 3 > 5:\n        os.system('echo ' + param)\n    return 'ok'\n"),
    ("both branches agree", "    if param:\n        bar = 'x'\n    else:\n        bar = 'x'\n"
     "    os.system('echo ' + bar)\n"),
]
VULNERABLE = [
    ("ternary picks the parameter", "    num = 106\n    bar = param if (7 * 18) + num > LIMIT else 'safe'\n"
     "    os.system('echo ' + bar)\n"),
    ("switch picks the parameter", "    target = 'ABC'[0]\n    if target == 'A':\n        bar = param\n"
     "    else:\n        bar = 'bob'\n    os.system('echo ' + bar)\n"),
    ("list index of the parameter", "    values = ['safe', param, 'moresafe']\n    values.pop(0)\n"
     "    bar = values[0]\n    os.system('echo ' + bar)\n"),
    ("dict key of the parameter", "    m = {'a': 'x', 'b': param}\n    bar = m.get('b')\n"
     "    os.system('echo ' + bar)\n"),
    ("condition depends on input", "    if len(param) > 3:\n        bar = 'x'\n    else:\n        bar = param\n"
     "    os.system('echo ' + bar)\n"),
    ("list given to an unknown function", "    values = ['safe']\n    fill(values, param)\n    bar = values[0]\n"
     "    os.system('echo ' + bar)\n"),
    ("set in a loop", "    bar = 'x'\n    for p in [param]:\n        bar = p\n    os.system('echo ' + bar)\n"),
    ("one branch mutates the list", "    values = ['safe']\n    if param:\n        values.insert(0, param)\n"
     "    os.system('echo ' + values[0])\n"),
    ("directly from the request", "    os.system('echo ' + request.args['y'])\n"),
]


def _prove(body: str) -> tuple[object, int]:
    src = HEAD + body
    lines = src.splitlines()
    sink = next(i for i, t in enumerate(lines, start=1) if "os.system" in t)
    return prove_constant(src, sink), sink


@pytest.mark.parametrize(("name", "body"), SAFE, ids=[s[0] for s in SAFE])
def test_constant_on_every_running_path_is_proven_with_its_lines(name: str, body: str) -> None:
    proof, sink = _prove(body)
    assert proof is not None, name
    assert f"line {sink}" in proof.reason and proof.lines, proof  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "body"), VULNERABLE, ids=[v[0] for v in VULNERABLE])
def test_a_value_the_attacker_may_reach_is_never_proven(name: str, body: str) -> None:
    proof, _ = _prove(body)
    assert proof is None, (name, proof)


def test_the_reason_cites_the_folded_condition() -> None:
    proof, _ = _prove(SAFE[0][1])
    assert proof is not None and "(7 * 18) + num > LIMIT" in proof.reason and "always True" in proof.reason


def test_bad_source_is_no_proof() -> None:
    assert prove_constant("def f(:\n", 1) is None
    assert prove_constant("x = 1\n", 1) is None  # not in a function


# Whole modules whose sink line ends in `# sink`: values that are not constants but cannot carry a payload
# (numbers, allow-listed values, module values), and the sinks whose payload is one argument.
MOD = "import os\nimport pickle\nimport tarfile\n\nimport requests\nfrom flask import request, session\n\n"
CLEAN_SAFE = [
    ("route converter makes a number", "@app.get('/jobs/<int:job_id>')\ndef h(job_id):\n"
     "    os.system(f'lpq -j {job_id}')  # sink\n"),
    ("allow-listed by a guard", "LANGS = {'en', 'fr'}\ndef h():\n    lang = request.args.get('lang')\n"
     "    if lang not in LANGS:\n        lang = 'en'\n    os.system('say -l ' + lang)  # sink\n"),
    ("numbers from float() inside try", "def h():\n    try:\n        x = float(request.args['x'])\n"
     "    except ValueError:\n        abort(400)\n    os.system(f'calc {x}')  # sink\n"),
    ("one of two constants", "def h():\n    mode = 'fast' if request.args.get('m') else 'slow'\n"
     "    os.system('run --' + mode)  # sink\n"),
    ("SQL parameters are bound", "def h(conn):\n    q = request.args['q']\n"
     "    conn.execute(f\"SELECT * FROM t WHERE a = ? ORDER BY {'name'}\", (q,)).fetchall()  # sink\n"),
    ("query parameters of a fixed URL", "URL = 'https://api.example.com/v1'\ndef h():\n"
     "    requests.get(URL, params={'q': request.args['q']}, timeout=5)  # sink\n"),
    ("a value fixed at import", "DEFAULT = pickle.dumps({'a': 1})\ndef h():\n"
     "    return pickle.loads(DEFAULT)  # sink\n"),
]
CLEAN_VULNERABLE = [
    ("the receiver carries the data", "def h():\n    tar = tarfile.open(fileobj=request.files['f'])\n"
     "    tar.extractall('/srv/data')  # sink\n"),
    ("dict get is not an HTTP get", "def h():\n    session['role'] = request.form.get('role', 'member')  # sink\n"),
    ("allow-list taken from the request", "def h():\n    v = request.args['v']\n"
     "    if v in request.args.getlist('ok'):\n        os.system('echo ' + v)  # sink\n"),
    ("module dict changed by a handler", "CACHE = {'k': 'x'}\ndef put():\n    CACHE['k'] = request.args['v']\n"
     "def h():\n    os.system('echo ' + CACHE['k'])  # sink\n"),
    ("URL from the request", "def h():\n    url = request.args['u']\n    requests.get(url, timeout=5)  # sink\n"),
    ("template from the request", "def h():\n    render_template_string(request.args['t'], name='x')  # sink\n"),
    ("a string method on request data", "def h():\n    os.system('echo ' + request.args['v'].strip())  # sink\n"),
]


def _prove_module(body: str, sink: str | None = None) -> object:
    src = MOD + body
    line = next(i for i, t in enumerate(src.splitlines(), start=1) if t.endswith("# sink"))
    return prove_constant(src, line, sink=sink)


@pytest.mark.parametrize(("name", "body"), CLEAN_SAFE, ids=[s[0] for s in CLEAN_SAFE])
def test_values_that_cannot_carry_a_payload_are_proven(name: str, body: str) -> None:
    assert _prove_module(body) is not None, name


@pytest.mark.parametrize(("name", "body"), CLEAN_VULNERABLE, ids=[v[0] for v in CLEAN_VULNERABLE])
def test_request_data_in_any_position_is_never_proven(name: str, body: str) -> None:
    assert _prove_module(body) is None, name


def test_a_trust_boundary_accepts_no_request_data_even_a_number_or_an_allow_listed_value() -> None:
    number = "def h():\n    session['n'] = int(request.args['n'])  # sink\n"
    listed = "def h():\n    r = request.form['r']\n    if r in ('a', 'b'):\n        session['r'] = r  # sink\n"
    fixed = "def h():\n    session['r'] = 'member'  # sink\n"
    assert _prove_module(number) is not None and _prove_module(number, sink="session") is None
    assert _prove_module(listed) is not None and _prove_module(listed, sink="session") is None
    assert _prove_module(fixed, sink="session") is not None


def test_the_reason_names_what_kind_of_value_reaches_the_sink() -> None:
    proof = _prove_module(CLEAN_SAFE[1][1])
    assert proof is not None and "a member of a constant allow-list" in proof.reason  # type: ignore[attr-defined]


SHELL = neutralizers_for("shell")
ESCAPED = [  # (name, body, proven with the shell's neutralizers)
    ("quoted for the shell", "import shlex\ndef h():\n    v = shlex.quote(request.args['v'])\n"
     "    os.system(f'convert {v} out.png')  # sink\n", True),
    ("imported under another name", "from shlex import quote as q\ndef h():\n"
     "    os.system('ls ' + q(request.args['v']))  # sink\n", True),
    ("quoted value glued to an option", "import shlex\ndef h():\n    v = shlex.quote(request.args['v'])\n"
     "    os.system(f'srvctl --name={v}')  # sink\n", True),
    ("quoted value put back inside quotes", "import shlex\ndef h():\n    v = shlex.quote(request.args['v'])\n"
     "    os.system(f\"echo '{v}'\")  # sink\n", False),
    ("quoted value in a %-template with quotes", "import shlex\ndef h():\n"
     "    os.system(\"cat '%s' | wc\" % shlex.quote(request.args['v']))  # sink\n", False),
    ("HTML escaping is not a shell safeguard", "import html\ndef h():\n"
     "    os.system('echo ' + html.escape(request.args['v']))  # sink\n", False),
    ("decoding is never a safeguard", "from urllib.parse import unquote\ndef h():\n"
     "    os.system('echo ' + unquote(request.args['v']))  # sink\n", False),
]


@pytest.mark.parametrize(("name", "body", "proven"), ESCAPED, ids=[e[0] for e in ESCAPED])
def test_a_library_neutralizer_counts_only_for_its_sink_and_outside_quotes(name: str, body: str, proven: bool) -> None:
    src = MOD + body
    sink = next(i for i, t in enumerate(src.splitlines(), start=1) if t.endswith("# sink"))
    assert (prove_constant(src, sink, sink="shell") is not None) is proven, name
    assert prove_constant(src, sink) is None  # without the sink's neutralizers nothing escaped is proven


def test_neutralizers_exist_only_for_sinks_where_they_are_context_free() -> None:
    assert "shlex.quote" in SHELL and "html.escape" not in SHELL
    assert "html.escape" in neutralizers_for("html") and "secure_filename" in neutralizers_for("path")
    assert neutralizers_for("ssrf") == frozenset() and neutralizers_for("redirect") == frozenset()


def test_html_escaping_holds_in_element_text_but_not_in_an_unquoted_attribute_or_a_script() -> None:
    head = "import html\ndef h():\n    v = html.escape(request.args['v'])\n"
    text = head + "    return f'<p>{v}</p>'  # sink\n"
    attribute = head + "    return f'<a href={v}>x</a>'  # sink\n"
    script = head + "    return f'<script>var q = {v};</script>'  # sink\n"
    assert _prove_module(text, sink="html") is not None
    assert _prove_module(attribute, sink="html") is None and _prove_module(script, sink="html") is None
    assert _prove_module(text, sink="redirect") is None  # HTML escaping never protects a redirect
