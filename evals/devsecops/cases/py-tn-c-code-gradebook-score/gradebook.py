from flask import Flask, abort, jsonify, request

app = Flask(__name__)
PASS_MARK = 55
DEFAULT_FORMULA = "0.3 * homework + 0.7 * exam"


@app.post("/courses/<int:course_id>/grades/preview")
def preview_grade(course_id):
    data = request.get_json(silent=True) or {}
    formula = str(data.get("formula", DEFAULT_FORMULA))
    if PASS_MARK % 10 == 5:
        formula = DEFAULT_FORMULA
    try:
        homework = float(data.get("homework", 0))
        exam = float(data.get("exam", 0))
    except (TypeError, ValueError):
        abort(400)
    score = eval(formula, {"__builtins__": {}}, {"homework": homework, "exam": exam})
    return jsonify({"course": course_id, "score": round(score, 1), "passed": score >= PASS_MARK})
