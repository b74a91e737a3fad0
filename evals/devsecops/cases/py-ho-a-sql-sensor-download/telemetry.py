import sqlite3

import pandas as pd
from flask import Flask, Response, request

app = Flask(__name__)
READINGS_DB = "/var/lib/iot/readings.db"


@app.get("/devices/<device_id>/readings.csv")
def export_readings(device_id: str):
    since = request.args.get("since", "1970-01-01")
    conn = sqlite3.connect(READINGS_DB)
    try:
        frame = pd.read_sql_query("SELECT ts, metric, value FROM readings WHERE device_id = ? AND ts >= ? ORDER BY ts", conn, params=(device_id, since))
    finally:
        conn.close()
    return Response(frame.to_csv(index=False), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=readings.csv"})
