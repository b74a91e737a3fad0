import os

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
COURSEWORK_REPO = "/srv/school/coursework.git"


@app.get("/coursework/commits")
def student_commits():
    student = request.args.get("student", "")
    if not student:
        abort(400)
    output = os.popen(f"git -C {COURSEWORK_REPO} log --oneline -n 50 --author={student}").read()
    commits = [line.partition(" ") for line in output.splitlines() if line]
    return jsonify([{"sha": sha, "message": message} for sha, _, message in commits])
