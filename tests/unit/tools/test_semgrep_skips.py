"""What a scan did not check is listed per reason, with the files, and only where a reader expects a check."""

from __future__ import annotations

from pathlib import Path

from tools.semgrep_skips import not_checked_lines, skipped_files, unlisted_errors


def test_skipped_files_are_read_from_semgreps_verbose_report() -> None:
    out = {"paths": {"scanned": ["a.py"], "skipped": [
        {"path": "big.js", "reason": "too_big", "details": "target file size exceeds 1000000 bytes"},
        {"reason": "too_big"},  # no path: nothing to list
    ]}}
    assert skipped_files(out) == [{"path": "big.js", "reason": "too_big",
                                   "details": "target file size exceeds 1000000 bytes"}]
    assert skipped_files({"paths": {"scanned": []}}) == [] and skipped_files({}) == []


def test_one_line_per_reason_names_the_files_and_hides_deliberate_exclusions(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_bytes(b"x = 1\n\xff\n")
    (tmp_path / "junk.py").write_text("\r\x00 ???\n")
    skipped = [
        {"path": "big.js", "reason": "too_big", "details": ""},
        {"path": "slow.py", "reason": "time_budget", "details": ""},
        {"path": ".git/config", "reason": "dotfile", "details": ""},
        {"path": "notes.txt", "reason": "gitignore_patterns_match", "details": ""},
    ] + [{"path": f"vendor/m{i}.min.js", "reason": "semgrepignore_patterns_match", "details": ""} for i in range(5)]
    errors = [
        {"type": ["PartialParsing", []], "path": "broken.py", "message": "`\ufffd` was unexpected"},
        {"type": "Lexical error", "path": "junk.py", "message": "unrecognized symbol"},
        {"type": "Timeout", "path": "deep.py", "message": "rule x timed out"},
        {"type": "Rule parse error", "message": "bad rule"},
    ]
    lines = not_checked_lines(skipped, errors, tmp_path, tmp_path)
    assert lines == [
        "over the per-file time budget (1 file): slow.py",
        "over the size limit (1 file): big.js",
        "undecodable bytes (not UTF-8), checked only in part (1 file): broken.py",
        "not fully parsed, checked only in part (1 file): junk.py",
        "Semgrep rules timed out or ran out of memory (1 file): deep.py",
        "ignored by .semgrepignore (or Semgrep's default ignore list) (5 files): vendor/m0.min.js, vendor/m1.min.js, "
        "vendor/m2.min.js (+2 more)",
    ]
    assert unlisted_errors(errors) == [errors[3]]


def test_paths_are_shown_relative_to_the_scanned_root(tmp_path: Path) -> None:
    root = tmp_path / "checkout"
    root.mkdir()
    skipped = [{"path": str(root / "pkg" / "big.py"), "reason": "too_big", "details": ""}]
    assert not_checked_lines(skipped, [], tmp_path, root) == ["over the size limit (1 file): pkg/big.py"]
