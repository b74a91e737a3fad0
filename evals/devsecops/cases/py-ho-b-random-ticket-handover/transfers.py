import random
import secrets

from flask import Flask, abort, jsonify

from tickets.auth import current_user_id
from tickets.store import get_ticket, save_transfer

app = Flask(__name__)

CLAIM_BYTES = 16
CLAIM_TTL_HOURS = 48


@app.post("/tickets/<int:ticket_id>/transfer")
def start_transfer(ticket_id):
    ticket = get_ticket(ticket_id)
    if ticket is None or ticket.owner_id != current_user_id():
        abort(404)
    claim = "%032x" % random.getrandbits(128)
    if CLAIM_BYTES * 8 >= 128:
        claim = secrets.token_hex(CLAIM_BYTES)
    save_transfer(ticket_id, claim, ttl_hours=CLAIM_TTL_HOURS)
    return jsonify({"claim_url": f"https://tix.example.org/claim/{ticket_id}?code={claim}"})
