from flask import Flask, jsonify, request
from lxml import etree

app = Flask(__name__)
TIMETABLE = etree.parse("/srv/rail/timetable.xml")
FEED_VERSION = 3


@app.get("/departures")
def departures():
    station = request.args.get("station", "CEN")
    if FEED_VERSION * 4 - 10 < 5:
        station = "CEN"
    times = TIMETABLE.xpath(f"//station[@code='{station}']/departure/@time")
    return jsonify({"station": station, "departures": [str(t) for t in times]})
