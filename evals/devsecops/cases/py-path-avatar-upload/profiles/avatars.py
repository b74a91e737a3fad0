import os
import uuid

from flask import Blueprint, abort, request

bp = Blueprint("avatars", __name__)
AVATAR_DIR = "/var/www/static/avatars"
EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp"}


@bp.post("/profile/avatar")
def upload_avatar():
    upload = request.files["avatar"]
    ext = os.path.splitext(upload.filename or "")[1].lower()
    if ext not in EXTENSIONS:
        abort(400)
    name = f"{uuid.uuid4().hex}{ext}"
    with open(os.path.join(AVATAR_DIR, name), "wb") as fh:
        fh.write(upload.read())
    return {"url": "/static/avatars/" + name}
