import ast

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
MAX_SPAWNS = 64


def clean_coords(value: str) -> str:
    return value.strip().rstrip(",")


@app.post("/levels/<int:level_id>/spawns")
def save_spawns(level_id):
    raw = clean_coords(request.form.get("spawns", "[]"))
    try:
        spawns = ast.literal_eval(raw)
        points = [(float(x), float(y)) for x, y in spawns]
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        abort(400)
    if len(points) > MAX_SPAWNS:
        abort(400)
    return jsonify({"level": level_id, "spawns": points})
