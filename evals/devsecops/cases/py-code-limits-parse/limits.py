import ast

from flask import Flask, abort, jsonify, request

app = Flask(__name__)


@app.post("/quotas")
def update_quotas():
    try:
        limits = ast.literal_eval(request.form["limits"])
    except (ValueError, SyntaxError):
        abort(400)
    if not isinstance(limits, dict) or not all(isinstance(v, int) for v in limits.values()):
        abort(400)
    return jsonify(limits)
