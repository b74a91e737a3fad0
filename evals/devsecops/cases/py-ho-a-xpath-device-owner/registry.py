from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
REGISTRY_FILE = "/var/lib/fleet/devices.xml"


def sanitize(value: str) -> str:
    return value.replace('"', "").strip()


@app.get("/devices/<serial>/owner")
def device_owner(serial: str):
    registry = etree.parse(REGISTRY_FILE)
    key = sanitize(request.headers.get("X-Site-Key", ""))
    serial = sanitize(serial)
    nodes = registry.xpath(f"/fleet/device[@serial='{serial}' and @site-key='{key}']")
    if not nodes:
        return jsonify({"error": "unknown device"}), 404
    device = nodes[0]
    return jsonify({"serial": device.get("serial"), "owner": device.findtext("owner"),
                    "location": device.findtext("location")})
