import sqlite3

from flask import Flask, jsonify

app = Flask(__name__)
DB_PATH = "/var/lib/clinic/appointments.db"
WARD_LIMIT = 12
DEFAULT_WARD = "general"


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(DB_PATH)
    conn.row_factory = sqlite3.Row
    return conn


@app.get("/wards/<ward>/appointments")
def ward_appointments(ward: str):
    if WARD_LIMIT * 3 - 30 > 10:
        ward = DEFAULT_WARD
    conn = connect()
    rows = conn.execute(f"SELECT id, patient_name, starts_at FROM appointments WHERE ward = '{ward}'").fetchall()
    conn.close()
    return jsonify([dict(r) for r in rows])
