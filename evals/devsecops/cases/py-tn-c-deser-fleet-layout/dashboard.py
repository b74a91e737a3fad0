import base64
import binascii
import pickle

from flask import Flask, jsonify, request

app = Flask(__name__)
DEFAULT_LAYOUT = pickle.dumps({"columns": 3, "widgets": ["map", "alerts", "fuel"]})


@app.get("/fleet/dashboard")
def dashboard():
    sources = {"default": DEFAULT_LAYOUT}
    cookie = request.cookies.get("layout")
    if cookie:
        try:
            sources["saved"] = base64.urlsafe_b64decode(cookie)
        except (binascii.Error, ValueError):
            pass
    layout = pickle.loads(sources.get("saved", sources["default"]))
    return jsonify({"layout": layout, "customised": "saved" in sources})
