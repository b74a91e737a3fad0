from flask import Flask, abort, jsonify, redirect, request

from payroll.auth import login_required

app = Flask(__name__)

PORTAL_BASE = "https://portal.paydayhq.com"
SECTIONS = ("/payslips", "/timesheets", "/leave", "/tax-forms")


@app.get("/portal/menu")
@login_required
def portal_menu():
    return jsonify({"links": [f"/go?to={section}" for section in SECTIONS]})


@app.get("/go")
@login_required
def go_to_portal():
    path = request.args.get("to", "/")
    if not path.startswith("/"):
        abort(400)
    return redirect(PORTAL_BASE + path, code=302)
