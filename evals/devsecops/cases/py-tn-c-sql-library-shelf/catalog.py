import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


def get_db() -> sqlite3.Connection:
    return sqlite3.connect("/srv/library/catalog.db")


@app.get("/catalog/search")
def search_catalog():
    term = request.args.get("q", "")
    sort_keys = ["title"]
    sort_keys.append(request.args.get("sort", "author"))
    order_by = sort_keys.pop(0)
    db = get_db()
    rows = db.execute(f"SELECT isbn, title, author FROM books WHERE title LIKE ? ORDER BY {order_by}", (f"%{term}%",)).fetchall()
    db.close()
    return jsonify([{"isbn": r[0], "title": r[1], "author": r[2]} for r in rows])
