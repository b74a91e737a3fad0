from flask import Flask, abort, jsonify, request
from jinja2 import Template

from payroll.staff import get_employee

app = Flask(__name__)

HEADER = "Payslip for {{ name }} ({{ period }})"


@app.post("/payslips/<int:employee_id>/preview")
def preview_payslip(employee_id):
    employee = get_employee(employee_id)
    if employee is None:
        abort(404)
    memo = request.form.get("memo", "")
    period = request.form.get("period", "this month")
    text = Template(HEADER + "\n" + memo).render(name=employee.full_name, period=period)
    return jsonify({"employee": employee_id, "preview": text})
