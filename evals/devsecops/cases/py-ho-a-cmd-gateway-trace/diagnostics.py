import subprocess

from flask import Flask, jsonify, request

app = Flask(__name__)
SITE_PROFILE = "field"


@app.post("/diagnostics/traceroute")
def traceroute():
    payload = request.get_json(force=True) or {}
    requested = str(payload.get("host", ""))
    targets = {
        "warehouse": "gw.warehouse.internal",
        "field": requested,
    }
    host = targets[SITE_PROFILE]
    proc = subprocess.run(f"traceroute -m 12 -w 2 {host}", shell=True, capture_output=True, text=True, timeout=60)
    return jsonify({"host": host, "exit": proc.returncode, "hops": proc.stdout.splitlines()[1:]})
