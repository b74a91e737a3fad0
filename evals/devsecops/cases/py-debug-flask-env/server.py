import os

from flask import Flask, jsonify

from inventory.api import bp as inventory_bp

app = Flask(__name__)
app.register_blueprint(inventory_bp, url_prefix="/api")


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8080, debug=os.environ.get("FLASK_DEBUG") == "1")
