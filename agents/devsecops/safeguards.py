"""Which safeguard neutralizes which sink — decided in code, the way CodeQL and Semgrep Pro model sanitizers.

A small model picks "escapes the value" for an open redirect, an HTML-escaping helper for a value stored in the
session, and URL-*decoding* for a shell. So a candidate safeguard is only offered (and only counts) when this
table says it fits the finding's sink: ``html.escape`` protects HTML and nothing else, ``shlex.quote`` a shell,
``secure_filename`` or a base-directory check a path, an allow-list or a number conversion any sink.
Decoding is never a safeguard. A helper of the project's own (``sanitize(x)``) is trusted only for what its body
does, looked up in the same file or the repository; a helper whose body cannot be found is not trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

ANY = frozenset({"*"})
Sinks = frozenset[str]

SINK_OF_CWE: dict[str, str] = {
    "CWE-89": "sql", "CWE-943": "sql", "CWE-77": "shell", "CWE-78": "shell", "CWE-22": "path", "CWE-23": "path",
    "CWE-36": "path", "CWE-73": "path", "CWE-79": "html", "CWE-80": "html", "CWE-601": "redirect",
    "CWE-90": "ldap", "CWE-643": "xpath", "CWE-1336": "template", "CWE-94": "code", "CWE-95": "code",
    "CWE-502": "deserialization", "CWE-501": "session", "CWE-918": "ssrf", "CWE-611": "xml", "CWE-776": "xml",
    "CWE-113": "header", "CWE-117": "log",
}

# Library neutralizers by (module, function); a bare name is resolved through the file's imports.
KNOWN: dict[tuple[str, str], Sinks] = {
    ("shlex", "quote"): frozenset({"shell"}), ("pipes", "quote"): frozenset({"shell"}),
    ("html", "escape"): frozenset({"html"}), ("markupsafe", "escape"): frozenset({"html"}),
    ("flask", "escape"): frozenset({"html"}), ("jinja2", "escape"): frozenset({"html"}),
    ("cgi", "escape"): frozenset({"html"}), ("bleach", "clean"): frozenset({"html"}),
    ("django.utils.html", "escape"): frozenset({"html"}), ("django.utils.html", "conditional_escape"):
        frozenset({"html"}), ("xml.sax.saxutils", "escape"): frozenset({"html", "xml"}),
    ("xml.sax.saxutils", "quoteattr"): frozenset({"html", "xml"}),
    ("ldap3.utils.conv", "escape_filter_chars"): frozenset({"ldap"}), ("ldap.filter", "escape_filter_chars"):
        frozenset({"ldap"}), ("ldap.dn", "escape_dn_chars"): frozenset({"ldap"}),
    ("ldap3.utils.dn", "escape_rdn"): frozenset({"ldap"}),
    ("werkzeug.utils", "secure_filename"): frozenset({"path"}), ("werkzeug", "secure_filename"): frozenset({"path"}),
    ("urllib.parse", "quote"): frozenset({"ssrf", "header"}), ("urllib.parse", "quote_plus"):
        frozenset({"ssrf", "header"}), ("urllib.parse", "urlencode"): frozenset({"ssrf", "header"}),
    ("psycopg2.extensions", "quote_ident"): frozenset({"sql"}), ("MySQLdb", "escape_string"): frozenset({"sql"}),
}
# Functions known by name alone when no import says where they come from.
BY_NAME: dict[str, Sinks] = {
    "escape_filter_chars": frozenset({"ldap"}), "escape_dn_chars": frozenset({"ldap"}),
    "escape_rdn": frozenset({"ldap"}), "secure_filename": frozenset({"path"}),
    "conditional_escape": frozenset({"html"}), "quoteattr": frozenset({"html", "xml"}),
}
# Candidate labels (``triage_trace.SAFEGUARDS``) that restrict the value itself fit every sink.
LABEL_FITS: dict[str, Sinks] = {
    "checks the value against a fixed allow-list": ANY,
    "looks the value up in a fixed table (only the table's values come out)": ANY,
    "converts the value to a number or generates it": ANY,
    "uses a sandboxed environment": frozenset({"template", "code"}),
    "verifies the user before using the value": frozenset({"session", "deserialization"}),
    "keeps the path inside a base directory": frozenset({"path"}),
    "accepts only a relative or known-host URL": frozenset({"redirect", "ssrf"}),
}
ESCAPES = "escapes or quotes the value"
_DECODES = re.compile(r"un(quote|escape)|decode|unsanitiz", re.I)
_CALL = re.compile(r"((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)\s*\(")
_ESCAPE_NAME = re.compile(r"quote|escape|sanitiz|bleach|secure_filename", re.I)
_CHAR_ALLOWLIST = re.compile(r"re\.(sub|fullmatch|match)\(\s*r?['\"]\^?\[")

FindDef = Callable[[str], list[str] | None]


# Sinks whose library neutralizers are safe wherever the result goes (a URL quoter is not: ``quote("evil.com")``
# is still a host); the interpreter still rejects a neutralized value placed inside quotes or a script.
_CONTEXT_FREE = frozenset({"shell", "html", "ldap", "path"})


def neutralizers_for(sink: str | None) -> frozenset[str]:
    """Qualified (``shlex.quote``) and bare (``secure_filename``) names of library functions whose result
    cannot carry a payload into ``sink``: the constant-flow proof treats their result as clean."""
    if sink not in _CONTEXT_FREE:
        return frozenset()
    return frozenset({f"{mod}.{fn}" for (mod, fn), sinks in KNOWN.items() if sink in sinks}
                     | {name for name, sinks in BY_NAME.items() if sink in sinks})


def sink_of(cwes: list[str]) -> str | None:
    return next((SINK_OF_CWE[c] for c in cwes if c in SINK_OF_CWE), None)


def fits(label: str, text: str, sink: str | None, module: list[str], find_def: FindDef | None = None) -> bool:
    """Whether the candidate on this line (its label and code) neutralizes ``sink``; an unknown sink keeps the
    candidate, decoding never does."""
    if sink is None:
        calls = [n for _, n in _CALL.findall(text)]
        return label != ESCAPES or any(_ESCAPE_NAME.search(n) and not _DECODES.search(n) for n in calls)
    covers = LABEL_FITS.get(label, frozenset()) if label != ESCAPES else escapes_for(text, module, find_def, 2)
    return "*" in covers or sink in covers


def escapes_for(text: str, module: list[str], find_def: FindDef | None, depth: int) -> Sinks:
    """The sinks the escaping calls on ``text`` protect (the union over the calls that escape anything)."""
    out: set[str] = set()
    for qual, name in _CALL.findall(text):
        if _DECODES.search(name):
            continue
        out |= _call_fits(qual.rstrip("."), name, module, find_def, depth)
    return frozenset(out)


def _call_fits(qual: str, name: str, module: list[str], find_def: FindDef | None, depth: int) -> Sinks:
    """A library call protects what the table says; a project's own function (even one named like a library's
    escaper) protects what its body does."""
    origin = qual or _imported_from(name, module)
    if origin is not None:
        for (mod, fn), sinks in KNOWN.items():
            if fn == name and (origin == mod or origin.endswith("." + mod) or mod.endswith("." + origin)):
                return sinks
    body = find_def(name) if find_def is not None else None
    if body:
        return _body_fits(body, module, find_def, depth - 1) if depth > 0 and find_def else frozenset()
    return BY_NAME.get(name, frozenset())


def _body_fits(body: list[str], module: list[str], find_def: FindDef, depth: int) -> Sinks:
    """What a project helper protects: what the calls and checks in its body protect, nothing if it only
    returns its input (a no-op sanitizer) or hand-rolls ``replace`` chains."""
    text = "\n".join(body[1:])
    if _CHAR_ALLOWLIST.search(text) or re.search(r"\bint\(|\bfloat\(|\bnot\s+in\s+[A-Z_]{3,}", text):
        return ANY
    if re.search(r"commonpath|is_relative_to|realpath|abspath", text) and "startswith" in text:
        return frozenset({"path"})
    return escapes_for(text, module, find_def, depth)


def _imported_from(name: str, module: list[str]) -> str | None:
    for line in module:
        m = re.match(rf"\s*from\s+([\w.]+)\s+import\s+.*\b{re.escape(name)}\b", line)
        if m:
            return m.group(1)
    return None


def _body(lines: list[str], name: str) -> list[str] | None:
    for i, line in enumerate(lines):
        if re.match(rf"(async\s+)?def\s+{re.escape(name)}\s*\(", line):
            end = i + 1
            while end < len(lines) and (not lines[end].strip() or lines[end][:1] in " \t"):
                end += 1
            return lines[i:end]
    return None


def def_finder(lines: list[str], root: Path | None = None, path: str = "") -> FindDef:
    """A lookup of a helper's body: a top-level ``def`` in the same file, else in the project module it is
    imported from (``from app.util import clean`` → ``app/util.py`` under ``root`` or beside the file)."""
    def find(name: str) -> list[str] | None:
        body = _body(lines, name)
        origin = _imported_from(name, lines)
        if body is not None or root is None or origin is None:
            return body
        rel = origin.lstrip(".").replace(".", "/")
        bases = [root, (root / path).parent] if not origin.startswith(".") else [(root / path).parent]
        for base in bases:
            for cand in (base / f"{rel}.py", base / rel / "__init__.py"):
                if cand.is_file() and cand.resolve().is_relative_to(root.resolve()):
                    return _body(cand.read_text(encoding="utf-8", errors="replace").splitlines(), name)
        return None

    return find
