import json
from urllib.request import urlopen

from flask import Flask, jsonify, request
from flask_login import login_required

app = Flask(__name__)


@app.post("/agents/probe")
@login_required
def probe_agent():
    payload = request.get_json(silent=True) or {}
    host = payload.get("agent", "")
    with urlopen(f"http://{host}:8080/health", timeout=3) as resp:
        body = json.loads(resp.read(4096))
    return jsonify({"agent": payload.get("agent"), "healthy": body.get("status") == "ok", "version": body.get("version")})
