from flask import Flask, make_response, request
from markupsafe import escape

from shipping.carriers import latest_scan

app = Flask(__name__)

SUPPORT_EMAIL = "help@northwind-parcel.example"


@app.get("/track")
def track_parcel():
    code = request.args.get("code", "").strip()
    scan = latest_scan(code) or "No scans yet"
    footer = f"<footer>Questions? Write to {SUPPORT_EMAIL}</footer>"
    return make_response(f"<h2>Parcel {escape(code)}</h2><p>{escape(scan)}</p>{footer}", 200, {"Content-Type": "text/html"})
