import os

from flask import Flask, abort, jsonify, request, session
from flask_login import current_user, login_required

app = Flask(__name__)
app.secret_key = os.environ["WMS_SECRET_KEY"]


@app.post("/shift/start")
@login_required
def start_shift():
    site = request.form.get("site", "")
    if site not in current_user.assigned_sites:
        abort(403)
    session["site"] = site
    session["shift_open"] = True
    return jsonify({"site": site, "picker": current_user.staff_no})
