"""CWE ids in one spelling, ``CWE-<n>``, from whatever a rule, a scanner or a report wrote.

Two readings serve the callers: ``cwe_ids`` takes every ``CWE-<n>`` named in a text or a list of texts (rule
metadata such as ``"CWE-89: Improper Neutralization ..."``); ``normalize_cwe`` reads one id, from a number or
the first ``CWE-<n>`` in a text, or (``label=True``) only from a label that starts with it (``"cwe_89"``).
"""

from __future__ import annotations

import re

_TAGGED = re.compile(r"CWE-(\d+)", re.IGNORECASE)  # "CWE-89" anywhere in a text
_LABEL = re.compile(r"(?i)^\s*(?:cwe)?[\s:_-]*(\d+)\b")  # a text that starts with the id: "89", "cwe_89: ..."


def _cwe(number: str | int) -> str:
    return f"CWE-{int(number)}"


def cwe_ids(value: object) -> list[str]:
    """``"CWE-89: Improper ..."`` or a list of such → ``["CWE-89"]`` (deduplicated, in order); bare numbers are
    not read as ids."""
    items = value if isinstance(value, list) else [value] if value else []
    return list(dict.fromkeys(_cwe(number) for item in items for number in _TAGGED.findall(str(item))))


def normalize_cwe(value: object, *, label: bool = False) -> str | None:
    """One id or None. By default: ``89`` or ``"89"`` (not 0), else the first ``CWE-<n>`` anywhere in the text.
    With ``label``: only a text that starts with the id, however spelt (``" 89"``, ``"cwe_89"``, ``"CWE-0"``)."""
    if label:
        found = _LABEL.match(str(value))
    elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return _cwe(value) if int(value) > 0 else None
    else:
        found = _TAGGED.search(str(value))
    return _cwe(found.group(1)) if found else None
