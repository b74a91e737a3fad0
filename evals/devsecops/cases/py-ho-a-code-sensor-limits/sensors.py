import json

from flask import Flask, jsonify, request

app = Flask(__name__)
LIMITS_FILE = "/var/lib/iot/limits.json"


@app.put("/sensors/<sensor_id>/limits")
def set_limits(sensor_id: str):
    raw = request.get_data(as_text=True)
    scope: dict = {}
    exec(f"limits = {raw}", {}, scope)
    limits = scope["limits"]
    low, high = float(limits["low"]), float(limits["high"])
    if low >= high:
        return jsonify({"error": "low must be below high"}), 400
    with open(LIMITS_FILE, encoding="utf-8") as fh:
        stored = json.load(fh)
    stored[sensor_id] = {"low": low, "high": high}
    with open(LIMITS_FILE, "w", encoding="utf-8") as fh:
        json.dump(stored, fh, indent=2)
    return jsonify(stored[sensor_id])
