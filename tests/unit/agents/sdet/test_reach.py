"""Reach from tests: named, requested by URL, or called through a function that is."""

from __future__ import annotations

from agents.sdet.reach import reached_from_tests

APP = '''
from flask import Flask
app = Flask(__name__)


def _slug(text):
    return normalize(text).lower()


def normalize(text):
    return text.strip()


@app.route("/articles/<int:id>/edit")
def edit_article(id):
    return render(_slug("x"))


def render(body):
    return body


def export_csv(rows):
    return ",".join(rows)
'''


def test_a_function_is_reached_by_name_by_route_or_through_its_callers() -> None:
    tests = 'def test_edit(client):\n    assert client.get("/articles/3/edit").status_code == 200\n'
    reached = reached_from_tests({"app.py": APP}, tests)
    assert {"edit_article", "render", "_slug", "normalize"} <= reached
    assert "export_csv" not in reached
    assert "export_csv" in reached_from_tests({"app.py": APP}, "from app import export_csv\n")
    assert reached_from_tests({"app.py": APP}, "def test_nothing():\n    pass\n") == set()


def test_unparsable_sources_are_skipped() -> None:
    assert reached_from_tests({"bad.py": "def (:\n", "app.py": APP}, "render") == {"render"}
