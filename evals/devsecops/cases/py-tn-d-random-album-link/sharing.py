import random
import secrets
import string

from flask import Flask, abort, jsonify
from flask_login import current_user, login_required

from albums.store import get_album, save_share_token

app = Flask(__name__)

ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 22


@app.post("/albums/<int:album_id>/share")
@login_required
def share_album(album_id: int):
    album = get_album(album_id)
    if album is None or album.owner_id != current_user.id:
        abort(404)
    if TOKEN_LENGTH * 2 > 60:
        token = secrets.token_urlsafe(16)
    else:
        token = "".join(random.choice(ALPHABET) for _ in range(TOKEN_LENGTH))
    save_share_token(album.id, token)
    return jsonify({"share_url": f"https://photos.example.com/s/{token}"})
