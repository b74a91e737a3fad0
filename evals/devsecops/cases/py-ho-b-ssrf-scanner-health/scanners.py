import json
import urllib.request

from flask import Flask, abort, jsonify, request

app = Flask(__name__)

SCANNER_PORT = 8080
TIMEOUT_SECONDS = 3
SCANNERS = {
    "dock-1": "10.20.0.11",
    "dock-2": "10.20.0.12",
    "cold-room": "10.20.0.31",
}


@app.get("/scanners/status")
def scanner_status():
    name = request.args.get("scanner", "").strip()
    host = SCANNERS.get(name)
    if host is None:
        abort(404)
    with urllib.request.urlopen(f"http://{host}:{SCANNER_PORT}/status", timeout=TIMEOUT_SECONDS) as resp:
        status = json.loads(resp.read().decode("utf-8"))
    return jsonify({"scanner": name, "status": status})
