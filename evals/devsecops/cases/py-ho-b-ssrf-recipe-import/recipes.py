import requests
from flask import Flask, abort, jsonify, request

from kitchen.parsing import extract_recipe

app = Flask(__name__)

BLOCKED_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0")


def strip_internal_hosts(url: str) -> str:
    for host in BLOCKED_HOSTS:
        url = url.replace(host, "")
    return url


@app.post("/recipes/import")
def import_recipe():
    raw = (request.get_json(silent=True) or {}).get("url", "")
    url = strip_internal_hosts(raw.strip())
    if not url:
        abort(400)
    resp = requests.get(url, timeout=5, allow_redirects=False)
    if resp.status_code != 200:
        abort(502)
    recipe = extract_recipe(resp.text)
    return jsonify({"source": url, "title": recipe.title, "ingredients": recipe.ingredients})
