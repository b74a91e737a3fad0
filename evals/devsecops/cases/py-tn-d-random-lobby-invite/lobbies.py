import random
import secrets

from flask import Flask, jsonify
from flask_login import current_user, login_required

from arena.lobbies import create_lobby

app = Flask(__name__)

ADJECTIVES = ["brave", "sneaky", "frosty", "lucky", "rusty", "swift"]
CREATURES = ["otter", "falcon", "golem", "heron", "wyvern", "lynx"]


@app.post("/lobbies")
@login_required
def open_lobby():
    lobby = {
        "nickname": f"{random.choice(ADJECTIVES)}-{random.choice(CREATURES)}",
        "host_key": secrets.token_urlsafe(24),
    }
    host_key = lobby["nickname"]
    lobby_id = create_lobby(owner_id=current_user.id, nickname=lobby["nickname"], host_key=host_key)
    resp = jsonify({"lobby_id": lobby_id, "nickname": lobby["nickname"]})
    resp.set_cookie(f"host_{lobby_id}", host_key, secure=True, httponly=True, samesite="Lax")
    return resp
