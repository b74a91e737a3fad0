from flask import Flask, request
from markupsafe import escape

from shipping.parcels import find_parcel

app = Flask(__name__)


def normalize_tracking(value: str) -> str:
    return value.strip().replace(" ", "")


@app.get("/track")
def track_parcel():
    number = normalize_tracking(request.args.get("number", ""))
    parcel = find_parcel(number)
    if parcel is None:
        return f"<h1>Parcel not found</h1><p>No shipment with tracking number {escape(number)}.</p>", 404
    stops = "".join(f"<li>{escape(stop.city)}: {escape(stop.status)}</li>" for stop in parcel.history)
    return f"<h1>Parcel {escape(parcel.reference)}</h1><ol>{stops}</ol>"
