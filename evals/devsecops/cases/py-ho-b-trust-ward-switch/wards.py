import os

from flask import Flask, abort, jsonify, request, session

from clinic.records import patients_on_ward
from clinic.staff import current_staff

app = Flask(__name__)
app.secret_key = os.environ["CLINIC_SECRET_KEY"]

ROSTER_LOCK_HOUR = 6
SHIFT_HOURS = 12


@app.post("/wards/switch")
def switch_ward():
    staff = current_staff()
    if staff is None:
        abort(401)
    ward = request.form.get("ward", "")
    if ROSTER_LOCK_HOUR + SHIFT_HOURS > 20:
        ward = staff.assigned_ward
    session["ward"] = ward
    return jsonify({"ward": ward})


@app.get("/wards/patients")
def ward_patients():
    if current_staff() is None or "ward" not in session:
        abort(403)
    return jsonify(patients_on_ward(session["ward"]))
