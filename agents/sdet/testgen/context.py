"""The compact prompt for one target: how it is imported, its source slice with the uncovered lines marked,
the class it belongs to, a style example from the project's own tests, and nothing else.

Small models lose the thread in long prompts and prefill costs time on 2 cores (about 70 tokens/s), so the
prompt shows one function, never the whole file. Lines that no test runs yet are marked ``# NOT COVERED`` so
the model aims at them; that is what makes a candidate worth keeping.
"""

from __future__ import annotations

import ast
from pathlib import Path

from agents.sdet.testgen.targets import Target
from opsquad.model.protocol import Message

MAX_SOURCE_LINES = 90

SYSTEM = """You write pytest unit tests for one Python function at a time.
Rules:
- Each test is one function `def test_<what_it_checks>():`. It takes no arguments, except pytest's
  `tmp_path`, `monkeypatch` (e.g. `monkeypatch.setattr(sys, "argv", [...])`) or `capsys` when it needs them.
- Call the function with concrete inputs and assert the exact result, e.g. `assert f(2, 3) == 5`,
  or the exception, e.g. `with pytest.raises(ValueError): f(-1)`. Every test must assert something.
- Each test checks a different behaviour. Aim at the lines marked `# NOT COVERED`.
- Use only the module under test and the Python standard library. No network, no sleeping, no printing.
- Keep each test short (at most 12 lines)."""


def marked_source(target: Target, uncovered: set[int]) -> str:
    lines = target.source.splitlines()
    out = []
    for offset, line in enumerate(lines[:MAX_SOURCE_LINES]):
        number = target.lineno + offset
        mark = "  # NOT COVERED" if number in uncovered and line.strip() and not line.strip().startswith("#") else ""
        out.append(line + mark)
    if len(lines) > MAX_SOURCE_LINES:
        out.append(f"    # ... {len(lines) - MAX_SOURCE_LINES} more lines")
    return "\n".join(out)


def style_example(test_files: list[Path], max_lines: int = 14) -> str:
    """The shortest test function of the project's own suite that asserts something, as a style example."""
    best = ""
    for file in test_files[:30]:
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
            tree = ast.parse(text)
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test") and not node.args.args:
                seg = ast.get_source_segment(text, node) or ""
                n = seg.count("\n") + 1
                if "assert" in seg and 3 <= n <= max_lines and (not best or n < best.count("\n") + 1):
                    best = seg
    return best


def messages_for(target: Target, head: str, uncovered: set[int], example: str, count: int,
                 existing_names: list[str]) -> list[Message]:
    parts = [f"The module `{target.module}` is imported at the top of the test file like this:\n```python\n"
             f"{head}\n```"]
    if target.class_name:
        parts.append(f"The method `{target.qualname}` belongs to this class (construct an instance first):\n"
                     f"```python\n{target.class_source}\n```")
    parts.append(f"Function to test, `{target.qualname}`:\n```python\n{marked_source(target, uncovered)}\n```")
    if example:
        parts.append(f"A test from this project, for style:\n```python\n{example}\n```")
    if existing_names:
        parts.append("Tests already written for it (write different ones): " + ", ".join(existing_names[-8:]))
    parts.append(f"Write {count} new pytest tests for `{target.qualname}` that check different behaviour"
                 + (", especially the lines marked NOT COVERED." if uncovered else "."))
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


def repair_messages(target: Target, head: str, code: str, error: str) -> list[Message]:
    user = (f"This pytest test for `{target.qualname}` (module `{target.module}`, imported as below) fails.\n"
            f"```python\n{head}\n\n{code}\n```\nThe error:\n```\n{error[-1200:]}\n```\n"
            f"Function under test:\n```python\n{marked_source(target, set())}\n```\n"
            "Fix the test so it passes and still asserts the function's real behaviour.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
