import requests
from flask import Flask, abort, jsonify, request

from iot.devices import find_device

app = Flask(__name__)

DEFAULT_MANIFEST = "https://firmware.hearthlink.io/releases/manifest.json"
RETRIES = 4
TIMEOUT_SECONDS = 5


@app.post("/devices/<device_id>/firmware/check")
def check_firmware(device_id):
    device = find_device(device_id)
    if device is None:
        abort(404)
    payload = request.get_json(silent=True) or {}
    manifest_url = payload.get("manifest_url", DEFAULT_MANIFEST)
    if RETRIES * TIMEOUT_SECONDS < 15:
        manifest_url = DEFAULT_MANIFEST
    resp = requests.get(manifest_url, timeout=TIMEOUT_SECONDS)
    resp.raise_for_status()
    manifest = resp.json()
    return jsonify({"device": device_id, "installed": device.firmware, "manifest": manifest})
