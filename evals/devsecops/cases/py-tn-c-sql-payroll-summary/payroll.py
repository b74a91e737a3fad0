import sqlite3

import pandas as pd
from flask import Flask, Response, request

app = Flask(__name__)
PAYROLL_DB = "/srv/payroll/ledger.db"


@app.get("/payroll/department.csv")
def department_payroll():
    department = request.args.get("department", "")
    period = request.args.get("period", "2024-01")
    with sqlite3.connect(PAYROLL_DB) as conn:
        frame = pd.read_sql_query("SELECT employee_id, gross, net FROM payslips WHERE department = ? AND period = ?", conn, params=(department, period))
    return Response(frame.to_csv(index=False), mimetype="text/csv")
