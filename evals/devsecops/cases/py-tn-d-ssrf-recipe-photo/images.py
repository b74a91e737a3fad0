from urllib.parse import urlsplit

import requests
from flask import Flask, Response, abort, request

app = Flask(__name__)

BLOCKED_HOSTS = {"localhost", "127.0.0.1", "::1"}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


@app.get("/img")
def proxy_image():
    src = request.args.get("src", "")
    parsed = urlsplit(src)
    if parsed.scheme not in ("http", "https") or parsed.hostname in BLOCKED_HOSTS:
        abort(400)
    upstream = requests.get(src, timeout=5, allow_redirects=False)
    ctype = upstream.headers.get("Content-Type", "").split(";")[0]
    if upstream.status_code != 200 or ctype not in IMAGE_TYPES:
        abort(502)
    return Response(upstream.content, mimetype=ctype)
