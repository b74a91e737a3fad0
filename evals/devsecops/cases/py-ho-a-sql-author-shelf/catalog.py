import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
CATALOG_DB = "/srv/library/catalog.sqlite3"


def sanitize(value: str) -> str:
    return value.strip().replace(";", "").replace("--", "")


@app.post("/catalog/search")
def search_catalog():
    author = sanitize(request.form.get("author", ""))
    conn = sqlite3.connect(CATALOG_DB)
    cur = conn.cursor()
    cur.execute("SELECT isbn, title, year FROM books WHERE author LIKE '%" + author + "%' ORDER BY year DESC")
    books = [{"isbn": i, "title": t, "year": y} for i, t, y in cur.fetchall()]
    conn.close()
    return jsonify(books)
