import json
import urllib.request

from flask import Flask, abort, jsonify, request

app = Flask(__name__)

SCANNER_PORT = 8080
TIMEOUT_SECONDS = 3


@app.get("/scanners/status")
def scanner_status():
    host = request.args.get("host", "").strip()
    if not host:
        abort(400)
    with urllib.request.urlopen(f"http://{host}:{SCANNER_PORT}/status", timeout=TIMEOUT_SECONDS) as resp:
        status = json.loads(resp.read().decode("utf-8"))
    return jsonify({"scanner": host, "status": status})
