import logging
import random
import secrets

from flask import Flask, abort, jsonify, make_response

from hub.devices import find_device, store_pairing_token

app = Flask(__name__)
log = logging.getLogger("hub.pairing")


@app.post("/devices/<device_id>/pair")
def start_pairing(device_id):
    device = find_device(device_id)
    if device is None or device.paired:
        abort(404)
    issued = {
        "trace": "%016x" % random.getrandbits(64),
        "token": secrets.token_urlsafe(32),
    }
    pair_token = issued["token"]
    store_pairing_token(device.id, pair_token)
    log.info("pairing started device=%s trace=%s", device.id, issued["trace"])
    resp = make_response(jsonify({"device": device.id, "state": "pairing"}))
    resp.set_cookie("pair_token", pair_token, httponly=True, secure=True, samesite="Strict")
    return resp
