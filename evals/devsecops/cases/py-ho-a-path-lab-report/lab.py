from pathlib import Path

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
REPORT_DIR = "/srv/clinic/lab-reports"


@app.get("/lab/reports")
def lab_report():
    report = request.args.get("report", "")
    if not report:
        abort(400)
    body = Path(REPORT_DIR, report).read_text(encoding="utf-8")
    return jsonify({"report": report, "body": body})


@app.get("/lab/health")
def health():
    return jsonify({"ok": Path(REPORT_DIR).is_dir()})
