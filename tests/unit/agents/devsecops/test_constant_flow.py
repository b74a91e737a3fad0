"""Constant and dead-branch reasoning: safe twins are proven in code, vulnerable ones are never proven."""

from __future__ import annotations

import pytest

from agents.devsecops.constant_flow import prove_constant

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
