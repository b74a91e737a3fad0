from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/pricing/preview")
def preview_price():
    formula = request.json["formula"]
    base = float(request.json.get("base", 0))
    price = eval(formula, {"__builtins__": {}}, {"base": base})
    return jsonify({"price": round(price, 2)})
