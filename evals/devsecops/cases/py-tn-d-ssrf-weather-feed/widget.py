import requests
from flask import Flask, jsonify, request

app = Flask(__name__)

BUREAU_URL = "https://api.weather-bureau.example/v2/observations"
FEED_SOURCE = "custom"


@app.get("/widget/conditions")
def conditions():
    station = request.args.get("station", "KSEA")
    sources = {
        "bureau": BUREAU_URL,
        "custom": request.args.get("feed_url", ""),
    }
    resp = requests.get(sources[FEED_SOURCE], params={"station": station}, timeout=5)
    resp.raise_for_status()
    data = resp.json()
    return jsonify({"station": station, "temp_c": data.get("temperature"), "wind": data.get("wind_speed")})
