import html

from flask import Flask, Response, request

from fleet.registry import get_device

app = Flask(__name__)


@app.get("/devices/label")
def device_label():
    serial = request.args.get("serial", "")
    device = get_device(serial)
    if device is None:
        return Response(f"<p class='missing'>No device with serial {html.escape(serial)}</p>", status=404, mimetype="text/html")
    name = html.escape(device.name)
    firmware = html.escape(device.firmware)
    return Response(f"<div class='label'><b>{name}</b><br>FW {firmware}</div>", mimetype="text/html")
