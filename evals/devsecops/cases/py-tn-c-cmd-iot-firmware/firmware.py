import os

from flask import Flask, jsonify, request

app = Flask(__name__)
FWCTL = "/opt/iot/bin/fwctl"


@app.post("/devices/<int:device_id>/firmware/check")
def check_firmware(device_id):
    body = request.get_json(silent=True) or {}
    opts = {"channel": "stable", "requested": str(body.get("channel", "stable")), "device": device_id}
    app.logger.info("device %s asked for channel %s", device_id, opts["requested"])
    channel = opts["requested"]
    status = os.system(f"{FWCTL} check --device {opts['device']} --channel {channel}")
    return jsonify({"device": device_id, "channel": channel, "update_available": status == 0})
