import random
import string

from flask import Flask, abort, make_response, redirect, request

from library.patrons import check_pin, find_patron_by_card, open_kiosk_session

app = Flask(__name__)

SESSION_ALPHABET = string.ascii_letters + string.digits
SESSION_LENGTH = 32


@app.post("/kiosk/checkin")
def kiosk_checkin():
    patron = find_patron_by_card(request.form.get("card_number", ""))
    if patron is None or not check_pin(patron, request.form.get("pin", "")):
        abort(401)
    sid = "".join(random.choice(SESSION_ALPHABET) for _ in range(SESSION_LENGTH))
    open_kiosk_session(sid, patron.id)
    resp = make_response(redirect("/kiosk/loans"))
    resp.set_cookie("kiosk_sid", sid, httponly=True, secure=True, samesite="Lax")
    return resp
