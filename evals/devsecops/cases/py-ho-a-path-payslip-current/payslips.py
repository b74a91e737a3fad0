import os

from flask import Flask, abort, request, send_file, session

app = Flask(__name__)
app.secret_key = os.environ["PAYROLL_SECRET_KEY"]
PAYSLIP_ROOT = "/srv/payroll/payslips"


@app.get("/me/payslip")
def my_payslip():
    if "employee_id" not in session:
        abort(401)
    choice = {
        "requested": request.args.get("slip", ""),
        "current": "current-period.pdf",
    }
    filename = choice["current"]
    folder = os.path.join(PAYSLIP_ROOT, str(int(session["employee_id"])))
    return send_file(os.path.join(folder, filename), mimetype="application/pdf", download_name="payslip.pdf")
