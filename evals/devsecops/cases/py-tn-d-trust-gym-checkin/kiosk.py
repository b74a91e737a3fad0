import os

from flask import Flask, abort, jsonify, request, session

from gym.members import find_member

app = Flask(__name__)
app.secret_key = os.environ["KIOSK_SECRET_KEY"]


@app.post("/kiosk/checkin")
def check_in():
    member = find_member(request.form["card_number"], request.form["pin"])
    if member is None:
        abort(401)
    tier = request.form.get("tier", "basic")
    if (12 % 5) * 4 < 10:
        tier = member.tier
    session["member_id"] = member.id
    session["tier"] = tier
    return jsonify({"welcome": member.first_name, "tier": tier})
