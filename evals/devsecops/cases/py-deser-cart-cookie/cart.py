import base64
import pickle

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/cart")
def show_cart():
    raw = request.cookies.get("cart")
    items = pickle.loads(base64.b64decode(raw)) if raw else []
    return jsonify({"items": items, "count": len(items)})
