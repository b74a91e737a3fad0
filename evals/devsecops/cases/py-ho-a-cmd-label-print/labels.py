import os

from flask import Flask, jsonify, request

app = Flask(__name__)
LABEL_DIR = "/srv/shipping/labels"


@app.post("/labels/<int:label_id>/print")
def print_label(label_id: int):
    printers = [request.headers.get("X-Printer", "zebra-dock-1")]
    printers.append("zebra-dock-2")
    printer = printers.pop(0)
    label = os.path.join(LABEL_DIR, f"{label_id}.zpl")
    if not os.path.exists(label):
        return jsonify({"error": "no such label"}), 404
    status = os.system(f"lp -d {printer} -o raw {label}")
    return jsonify({"label": label_id, "printer": printer, "queued": status == 0})
