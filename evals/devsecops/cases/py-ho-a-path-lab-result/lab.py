from pathlib import Path

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
REPORT_DIR = Path("/srv/clinic/lab-reports").resolve()


@app.get("/lab/reports")
def lab_report():
    report = request.args.get("report", "")
    if not report:
        abort(400)
    path = (REPORT_DIR / report).resolve()
    if not path.is_relative_to(REPORT_DIR) or not path.is_file():
        abort(404)
    body = path.read_text(encoding="utf-8")
    return jsonify({"report": report, "body": body})


@app.get("/lab/health")
def health():
    return jsonify({"ok": REPORT_DIR.is_dir()})
