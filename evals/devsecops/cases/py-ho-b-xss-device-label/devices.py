from flask import Flask, make_response, request

from iot.registry import DeviceRegistry

app = Flask(__name__)
registry = DeviceRegistry("/var/lib/hub/devices.db")

MAX_LABEL = 64


@app.get("/devices/<device_id>/label-preview")
def label_preview(device_id):
    device = registry.get(device_id)
    if device is None:
        return make_response("unknown device", 404, {"Content-Type": "text/plain"})
    label = request.args.get("label", device.label)[:MAX_LABEL]
    state = "online" if device.online else "offline"
    body = f"<div class='tile'><span class='state'>{state}</span><b>{label}</b></div>"
    return make_response(body, 200, {"Content-Type": "text/html; charset=utf-8"})
