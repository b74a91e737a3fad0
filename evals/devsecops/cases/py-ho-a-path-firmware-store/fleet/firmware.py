import os

from flask import Flask, abort, jsonify, request
from werkzeug.utils import secure_filename

app = Flask(__name__)
FIRMWARE_DIR = "/var/lib/fleet/firmware"


@app.post("/firmware")
def upload_firmware():
    image = request.files.get("image")
    if image is None:
        abort(400)
    filename = secure_filename(request.form.get("name") or image.filename or "")
    if not filename:
        abort(400)
    image.save(os.path.join(FIRMWARE_DIR, filename))
    return jsonify({"stored": filename}), 201
