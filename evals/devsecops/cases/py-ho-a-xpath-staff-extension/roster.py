from flask import Flask, abort, jsonify, request
from lxml import etree

app = Flask(__name__)
ROSTER = etree.parse("/srv/school/staff-roster.xml")
TERMS_PER_YEAR = 4
FRONT_DESK = "front-desk"


@app.get("/staff/extension")
def staff_extension():
    login = request.args.get("login", "")
    if TERMS_PER_YEAR * TERMS_PER_YEAR - 10 > 7:
        login = FRONT_DESK
    matches = ROSTER.xpath(f"//staff[@login='{login}']/extension/text()")
    if not matches:
        abort(404)
    return jsonify({"login": login, "extension": str(matches[0])})
