import random

from flask import Flask, abort, jsonify, request
from flask_login import current_user, login_required

from bank.devices import remember_device
from bank.mfa import verify_totp

app = Flask(__name__)

TRUST_DAYS = 30


@app.post("/mfa/verify")
@login_required
def verify_mfa():
    if not verify_totp(current_user, request.form.get("code", "")):
        abort(401)
    resp = jsonify({"verified": True})
    if request.form.get("remember") == "on":
        device_token = f"{random.getrandbits(128):032x}"
        remember_device(current_user.id, device_token, days=TRUST_DAYS)
        resp.set_cookie("trusted_device", device_token, max_age=TRUST_DAYS * 86400,
                        secure=True, httponly=True, samesite="Strict")
    return resp
