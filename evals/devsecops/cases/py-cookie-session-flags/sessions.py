import secrets

from flask import Flask, make_response, request

from accounts import authenticate, store_session

app = Flask(__name__)


@app.post("/login")
def login():
    user = authenticate(request.form["email"], request.form["password"])
    token = secrets.token_urlsafe(32)
    store_session(token, user.id)
    resp = make_response({"ok": True})
    resp.set_cookie("session_token", token, max_age=86400, secure=True, httponly=True, samesite="Lax")
    return resp
