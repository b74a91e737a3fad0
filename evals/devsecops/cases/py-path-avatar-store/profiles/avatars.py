import os

from flask import Blueprint, request

bp = Blueprint("avatars", __name__)
AVATAR_DIR = "/var/www/static/avatars"


@bp.post("/profile/avatar")
def upload_avatar():
    upload = request.files["avatar"]
    destination = os.path.join(AVATAR_DIR, upload.filename)
    with open(destination, "wb") as fh:
        fh.write(upload.read())
    return {"url": "/static/avatars/" + upload.filename}
