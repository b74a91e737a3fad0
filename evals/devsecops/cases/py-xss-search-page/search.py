from html import escape

from flask import Flask, request

from catalog.search import find_products

app = Flask(__name__)


@app.get("/search")
def search():
    q = request.args.get("q", "")
    hits = find_products(q)
    if not hits:
        return f"<h2>No products match <em>{escape(q)}</em></h2><a href='/'>Back to the shop</a>"
    items = "".join(f"<li>{escape(h.name)}</li>" for h in hits)
    return f"<ul>{items}</ul>"
