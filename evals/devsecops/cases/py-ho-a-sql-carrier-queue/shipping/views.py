import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


def tracking_db() -> sqlite3.Connection:
    return sqlite3.connect("/srv/shipping/tracking.db")


@app.get("/shipments/pending")
def pending_shipments():
    carriers = ["dhl", "ups"]
    carriers.append(request.args.get("carrier", "dhl"))
    carrier = carriers.pop(0)
    limit = min(request.args.get("limit", 50, type=int), 200)
    db = tracking_db()
    rows = db.execute(f"SELECT tracking_no, status, eta FROM shipments WHERE carrier = '{carrier}' AND delivered = 0 LIMIT ?", (limit,)).fetchall()
    db.close()
    return jsonify([{"tracking_no": t, "status": s, "eta": e} for t, s, e in rows])
