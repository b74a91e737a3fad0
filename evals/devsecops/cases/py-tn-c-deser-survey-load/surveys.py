import yaml
from flask import Flask, abort, jsonify, request

app = Flask(__name__)


def strip_python_tags(text: str) -> str:
    return text.replace("!!python/", "!!")


@app.post("/surveys/import")
def import_survey():
    upload = request.files.get("definition")
    if upload is None:
        abort(400)
    text = upload.read().decode("utf-8")
    survey = yaml.safe_load(strip_python_tags(text))
    if not isinstance(survey, dict) or "questions" not in survey:
        abort(422)
    return jsonify({"title": survey.get("title", ""), "questions": len(survey["questions"])})
