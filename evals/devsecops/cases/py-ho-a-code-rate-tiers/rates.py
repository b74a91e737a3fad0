import ast

from flask import Flask, jsonify, request

app = Flask(__name__)


def clean_expression(value: str) -> str:
    return value.strip().replace("__", "")


@app.post("/rates/preview")
def preview_rates():
    raw = clean_expression(request.form.get("bands", "[]"))
    bands = ast.literal_eval(raw)
    if not isinstance(bands, list):
        return jsonify({"error": "bands must be a list of [max_kg, price]"}), 400
    weight = float(request.form.get("weight", "1"))
    price = next((p for limit, p in sorted(bands) if weight <= limit), None)
    return jsonify({"weight": weight, "price": price})
