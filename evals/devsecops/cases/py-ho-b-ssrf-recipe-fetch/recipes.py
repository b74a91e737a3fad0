from urllib.parse import urlsplit, urlunsplit

import requests
from flask import Flask, abort, jsonify, request

from kitchen.parsing import extract_recipe

app = Flask(__name__)

RECIPE_SITES = {"www.allrecipes.com", "www.epicurious.com", "cooking.nytimes.com"}


def recipe_source(raw: str) -> str | None:
    parts = urlsplit(raw.strip())
    if parts.scheme != "https" or parts.hostname not in RECIPE_SITES:
        return None
    return urlunsplit(("https", parts.hostname, parts.path or "/", parts.query, ""))


@app.post("/recipes/import")
def import_recipe():
    url = recipe_source((request.get_json(silent=True) or {}).get("url", ""))
    if url is None:
        abort(400)
    resp = requests.get(url, timeout=5, allow_redirects=False)
    if resp.status_code != 200:
        abort(502)
    recipe = extract_recipe(resp.text)
    return jsonify({"source": url, "title": recipe.title, "ingredients": recipe.ingredients})
