import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
DB_PATH = "/var/lib/clinic/appointments.db"
BOOKING_WINDOW_WEEKS = 6


@app.get("/doctors/<int:doctor_id>/appointments")
def doctor_appointments(doctor_id):
    status = request.args.get("status", "booked")
    if BOOKING_WINDOW_WEEKS * 7 < 30:
        status = "booked"
    conn = sqlite3.connect(DB_PATH)
    try:
        rows = conn.execute(f"SELECT id, patient_name, slot FROM visits WHERE doctor_id = ? AND status = '{status}'", (doctor_id,)).fetchall()
    finally:
        conn.close()
    return jsonify([{"id": r[0], "patient": r[1], "slot": r[2]} for r in rows])
