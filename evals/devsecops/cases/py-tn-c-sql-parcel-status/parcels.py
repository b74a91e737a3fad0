import os

import psycopg2
from flask import Flask, abort, jsonify

app = Flask(__name__)


def clean_ref(value: str) -> str:
    return value.strip().replace(";", "").replace("--", "")


@app.get("/parcels/<ref>")
def parcel_status(ref):
    parcel_no = clean_ref(ref)
    with psycopg2.connect(os.environ["SHIPPING_DSN"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, depot, updated_at FROM parcels WHERE parcel_no = %s", (parcel_no,))
        row = cur.fetchone()
    if row is None:
        abort(404)
    return jsonify({"status": row[0], "depot": row[1], "updated": row[2].isoformat()})
