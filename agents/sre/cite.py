"""Citation check for the model's evidence: a claim is kept only if what it cites was actually observed.

Why: a small model will happily write "memory limit 256Mi" when the pod's limit is 64Mi. Every evidence item is
checked in code against the text the analyzers and tools really returned (the *observed* corpus): its specific
tokens (values with digits such as ``64Mi`` or ``503``, CamelCase reasons such as ``OOMKilled``, object names
such as ``deployment/cart`` or ``fast-ssd``) must mostly appear there. A reference to an analyzer finding by its
number (``F2``) counts as citing that finding. Items that cite nothing observed are not dropped silently: they
move to ``uncited`` with the reason, so a reader sees what the model claimed without support.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from opsquad.answers import Evidence

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:=%{}\"'-]*")
CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2,}[a-z]")
FINDING_REF = re.compile(r"\bF(\d{1,2})\b")
STOP = {"kubectl", "http", "https", "pod", "pods", "deployment", "service", "container", "namespace", "the"}
MIN_SHARE = 0.5


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def specific_tokens(text: str) -> list[str]:
    """Tokens that name something checkable: contain a digit, are CamelCase, or join words with - / . _ ="""
    out = []
    for raw in TOKEN.findall(text):
        tok = raw.strip(".,:;'\"()[]{}%").lower()
        if len(tok) < 2 or tok in STOP:
            continue
        has_digit = any(c.isdigit() for c in tok)
        joined = any(c in tok for c in "-/._=") and len(tok) >= 4
        if has_digit or CAMEL.search(raw) or joined:
            out.append(tok)
    return list(dict.fromkeys(out))


class Corpus:
    """Everything observed in one investigation: analyzer findings and tool results, normalized for lookup."""

    def __init__(self, texts: Iterable[str] = (), findings: int = 0) -> None:
        self.text = ""
        self.findings = findings
        for t in texts:
            self.add(t)

    def add(self, text: str) -> None:
        self.text += "\n" + normalize(text)

    def has(self, token: str) -> bool:
        return token in self.text


def check(item: Evidence, corpus: Corpus) -> tuple[bool, str]:
    """(cited?, why not) for one evidence item."""
    ref = FINDING_REF.search(item.source) or FINDING_REF.search(item.claim)
    if ref and 1 <= int(ref.group(1)) <= corpus.findings:
        return True, ""
    tokens = specific_tokens(f"{item.claim} {item.source}")
    if not tokens:
        return False, "names no object, value or reason that could be checked"
    found = [t for t in tokens if corpus.has(t)]
    if found and len(found) / len(tokens) >= MIN_SHARE:
        return True, ""
    missing = [t for t in tokens if t not in found][:3]
    return False, f"not in any analyzer finding or tool result: {', '.join(missing)}"


def split_cited(items: list[Evidence], corpus: Corpus) -> tuple[list[Evidence], list[tuple[Evidence, str]]]:
    """(cited items, uncited items with why they are not cited)."""
    kept: list[Evidence] = []
    flagged: list[tuple[Evidence, str]] = []
    for item in items:
        ok, why = check(item, corpus)
        if ok:
            kept.append(item)
        else:
            flagged.append((item, why))
    return kept, flagged
