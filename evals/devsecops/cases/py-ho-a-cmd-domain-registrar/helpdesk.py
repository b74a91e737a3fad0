import subprocess

from flask import Flask, jsonify, request

app = Flask(__name__)


def registrar_of(raw: str) -> str | None:
    for line in raw.splitlines():
        if line.lower().startswith("registrar:"):
            return line.split(":", 1)[1].strip()
    return None


@app.get("/helpdesk/whois")
def whois_lookup():
    domain = request.args.get("domain", "").strip().lower()
    if not domain:
        return jsonify({"error": "domain required"}), 400
    proc = subprocess.run(["whois", "--", domain], capture_output=True, text=True, timeout=30)
    raw = proc.stdout
    return jsonify({"domain": domain, "registrar": registrar_of(raw), "raw": raw[:4000]})
