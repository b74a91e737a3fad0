import os

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
FIRMWARE_DIR = "/var/lib/fleet/firmware"


def clean_filename(name: str) -> str:
    return name.replace("../", "").strip()


@app.post("/firmware")
def upload_firmware():
    image = request.files.get("image")
    if image is None:
        abort(400)
    filename = clean_filename(request.form.get("name") or image.filename or "")
    if not filename:
        abort(400)
    image.save(os.path.join(FIRMWARE_DIR, filename))
    return jsonify({"stored": filename}), 201
