import json

from flask import Flask, abort, jsonify, request

app = Flask(__name__)


@app.post("/players/<int:player_id>/save")
def upload_save(player_id):
    upload = request.files.get("save")
    if upload is None:
        abort(400)
    try:
        state = json.load(upload.stream)
    except (json.JSONDecodeError, UnicodeDecodeError):
        abort(400)
    if not isinstance(state, dict):
        abort(422)
    return jsonify({"player": player_id, "level": int(state.get("level", 1)), "gold": int(state.get("gold", 0))})
