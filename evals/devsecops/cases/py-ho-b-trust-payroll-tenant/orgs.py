import os

from flask import Flask, abort, jsonify, request, session

from payroll.auth import current_user
from payroll.store import payslips_for_org

app = Flask(__name__)
app.secret_key = os.environ["PAYROLL_SECRET_KEY"]


@app.post("/orgs/switch")
def switch_org():
    user = current_user()
    if user is None:
        abort(401)
    org_id = request.form.get("org_id", "").strip()
    if org_id not in {str(m.org_id) for m in user.memberships}:
        abort(403)
    session["org_id"] = org_id
    return jsonify({"org_id": org_id})


@app.get("/payslips")
def list_payslips():
    if current_user() is None or "org_id" not in session:
        abort(403)
    return jsonify(payslips_for_org(session["org_id"]))
