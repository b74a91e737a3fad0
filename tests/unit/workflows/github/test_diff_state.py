"""Pieces of the publisher that need no server: commentable lines, suggestions, the carried state."""

from __future__ import annotations

from agents.devsecops.autofix import make_patch
from opsquad.findings import FileLocation, Finding, Severity, Suppression
from workflows.github import comments
from workflows.github.diff import added_lines, place, suggestion
from workflows.github.state import ReviewState, decode, encode, key_of, plan

PATCH = """\
@@ -1,3 +1,5 @@
 import os
+import pickle
+
 def f(x):
-    return x
+    return pickle.loads(x)
\\ No newline at end of file
"""


def _finding(rule: str, line: int, end: int | None = None, evidence: str = "", **kw: object) -> Finding:
    fields: dict[str, object] = {"title": f"{rule} title", "message": "m", "severity": Severity.high, **kw}
    return Finding(rule_id=rule, location=FileLocation(path="app.py", start_line=line, end_line=end or line),
                   evidence=evidence or rule, **fields)  # type: ignore[arg-type]


def test_added_lines_follow_hunk_numbers() -> None:
    assert added_lines(PATCH) == {2, 3, 5}
    assert added_lines("@@ -10,2 +20,3 @@ def g():\n a\n+b\n c\n@@ -40 +41 @@\n-x\n+y") == {21, 41}


def test_suggestion_from_a_real_autofix_patch() -> None:
    lines = ["def h(s):", "    a = 1", "    return md5(s)", "    # end", "", "x = 2"]
    patch, _ = make_patch("app.py", lines, FileLocation(path="app.py", start_line=3, end_line=3),
                          ["return sha256(s)"])
    sug = suggestion(patch, "app.py")
    assert sug is not None and (sug.start, sug.end, sug.text) == (3, 3, "    return sha256(s)")
    assert suggestion(patch, "other.py") is None


def test_pure_insertion_is_widened_and_two_hunks_are_refused() -> None:
    insert = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n a\n+b\n c\n"
    sug = suggestion(insert, "app.py")
    assert sug is not None and (sug.start, sug.end, sug.text) == (1, 1, "a\nb")
    two = insert + "@@ -9,1 +10,1 @@\n-x\n+y\n"
    assert suggestion(two, "app.py") is None


def test_placement_only_on_added_lines() -> None:
    added = {"app.py": {2, 3, 5}}
    assert place(_finding("r", 1), added) is None, "line 1 is unchanged context"
    assert place(_finding("r", 5), added).api_fields() == {"path": "app.py", "line": 5, "side": "RIGHT"}  # type: ignore[union-attr]
    ranged = place(_finding("r", 2, 3), added)
    assert ranged is not None and ranged.api_fields()["start_line"] == 2 and ranged.line == 3
    partly = place(_finding("r", 4, 5), added)
    assert partly is not None and partly.line == 5 and partly.start_line is None
    fix = "--- a/app.py\n+++ b/app.py\n@@ -4,2 +4,2 @@\n def f(x):\n-    return pickle.loads(x)\n+    return x\n"
    with_fix = place(_finding("r", 5), added, fix)
    assert with_fix is not None and with_fix.suggestion is not None and with_fix.suggestion.text == "    return x"
    off = "--- a/app.py\n+++ b/app.py\n@@ -1,1 +1,1 @@\n-import os\n+import sys\n"
    no_sug = place(_finding("r", 5), added, off)
    assert no_sug is not None and no_sug.suggestion is None, "a fix on unchanged lines is not a suggestion"


def test_state_survives_html_in_titles() -> None:
    f = _finding("r", 2, title="evil --> <b>x</b>")  # type: ignore[arg-type]
    p = plan(None, [f], {}, "abc")
    text = encode(p.state)
    assert "-->" not in text[len("<!-- opsquad:state "):-len(" -->")] and "<b>" not in text
    back = decode("<!-- opsquad:summary -->\nhello\n" + text)
    assert back is not None and back.open[key_of(f)].title == "evil --> <b>x</b>"
    assert decode("no state here") is None and decode("<!-- opsquad:state {broken -->") is None


def test_plan_new_open_resolved_dismissed_and_suppressed() -> None:
    a, b, c, d = (_finding(r, i + 1) for i, r in enumerate("abcd"))
    first = plan(None, [a, b, c], {}, "h1")
    assert first.first_run and [f.rule_id for f in first.new] == ["a", "b", "c"]
    sup = c.model_copy(update={"suppression": Suppression(kind="baseline", justification="ok")})
    second = plan(first.state, [a, sup, d], {key_of(a): "@alice"}, "h2")
    assert [f.rule_id for f in second.new] == ["d"]
    assert [f.rule_id for f, _e in second.dismissed] == ["a"] and second.dismissed[0][1].by == "@alice"
    assert [e.rule for e in second.resolved_now.values()] == ["b"], "c was suppressed, not resolved"
    third = plan(ReviewState.model_validate(second.state.model_dump()), [a, b], {}, "h3")
    assert [f.rule_id for f in third.new] == ["b"], "a resolved finding that comes back is new again"
    assert [f.rule_id for f, _e in third.dismissed] == ["a"], "a dismissal is sticky"
    assert third.state.runs == 3


def test_inline_comment_never_suggests_a_redacted_patch() -> None:
    f = _finding("secret", 2, fix_patch="--- a/app.py\n+++ b/app.py\n@@ -2 +2 @@\n-k = 'x'\n+k = env('K')\n")
    body = comments.inline(f, None, None)
    assert "```suggestion" not in body and "```diff" not in body and key_of(f) in body
