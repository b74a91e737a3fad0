from urllib.parse import urlsplit

import requests
from flask import Flask, Response, abort, request

app = Flask(__name__)

IMAGE_HOSTS = {"images.recipe-box.example", "uploads.recipe-box.example"}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


@app.get("/img")
def proxy_image():
    parsed = urlsplit(request.args.get("src", ""))
    if parsed.scheme != "https" or parsed.hostname not in IMAGE_HOSTS:
        abort(400)
    upstream = requests.get(f"https://{parsed.hostname}{parsed.path}", timeout=5, allow_redirects=False)
    ctype = upstream.headers.get("Content-Type", "").split(";")[0]
    if upstream.status_code != 200 or ctype not in IMAGE_TYPES:
        abort(502)
    return Response(upstream.content, mimetype=ctype)
