import json
from urllib.request import urlopen

from flask import Flask, abort, jsonify, request
from flask_login import login_required

app = Flask(__name__)

AGENTS = {"linux-01": "10.20.0.11", "linux-02": "10.20.0.12", "mac-01": "10.20.0.31"}


@app.post("/agents/probe")
@login_required
def probe_agent():
    payload = request.get_json(silent=True) or {}
    host = AGENTS.get(payload.get("agent", ""))
    if host is None:
        abort(404)
    with urlopen(f"http://{host}:8080/health", timeout=3) as resp:
        body = json.loads(resp.read(4096))
    return jsonify({"agent": payload.get("agent"), "healthy": body.get("status") == "ok", "version": body.get("version")})
