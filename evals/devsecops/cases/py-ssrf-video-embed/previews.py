from urllib.parse import urlparse

import requests
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
OEMBED_HOSTS = {"www.youtube.com": "https://www.youtube.com/oembed", "vimeo.com": "https://vimeo.com/api/oembed.json"}


@app.post("/embeds")
def video_embed():
    url = request.json["url"]
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.hostname not in OEMBED_HOSTS:
        abort(400)
    endpoint = OEMBED_HOSTS[parsed.hostname]
    resp = requests.get(endpoint, params={"url": url}, timeout=5, allow_redirects=False)
    return jsonify(resp.json())
