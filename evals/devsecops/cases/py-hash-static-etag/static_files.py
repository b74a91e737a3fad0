import hashlib
from pathlib import Path

from flask import Flask, Response, abort, request

app = Flask(__name__)
ASSETS = {"app.js": Path("/srv/assets/app.js"), "app.css": Path("/srv/assets/app.css")}


@app.get("/assets/<name>")
def asset(name: str):
    path = ASSETS.get(name) or abort(404)
    data = path.read_bytes()
    etag = hashlib.sha1(data).hexdigest()
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304)
    return Response(data, headers={"ETag": etag, "Cache-Control": "public, max-age=300"})
