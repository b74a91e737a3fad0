import re

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)
TITLE = re.compile(r"<title>(.*?)</title>", re.I | re.S)


@app.post("/previews")
def link_preview():
    url = request.json["url"]
    resp = requests.get(url, timeout=5)
    match = TITLE.search(resp.text)
    return jsonify({"url": url, "title": match.group(1).strip() if match else None})
