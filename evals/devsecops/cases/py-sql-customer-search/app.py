import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


def get_db() -> sqlite3.Connection:
    return sqlite3.connect("/var/lib/shop/shop.db")


@app.get("/customers")
def find_customer():
    email = request.args.get("email", "")
    db = get_db()
    row = db.execute("SELECT id, name, tier FROM customers WHERE email = ?", (email,)).fetchone()
    if row is None:
        return jsonify({"error": "not found"}), 404
    return jsonify({"id": row[0], "name": row[1], "tier": row[2]})
