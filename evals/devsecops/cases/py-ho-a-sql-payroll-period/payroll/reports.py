import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ.get("PAYROLL_DATABASE_URL", "postgresql://payroll@localhost/payroll"))


@app.get("/payroll/summary")
def payroll_summary():
    period = request.args.get("period", "")
    if not period:
        return jsonify({"error": "period required"}), 400
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT employee_id, SUM(gross) AS gross, SUM(tax) AS tax FROM payslips WHERE period = '{period}' GROUP BY employee_id"))
        totals = [dict(row._mapping) for row in result]
    return jsonify({"period": period, "employees": totals})
