from flask import Flask, redirect, request
from flask_login import current_user, login_required

from school.notices import mark_read

app = Flask(__name__)

PORTAL_PAGES = {"/notices", "/timetable", "/grades", "/homework", "/messages"}


@app.get("/notices/<int:notice_id>/read")
@login_required
def read_notice(notice_id: int):
    mark_read(notice_id, student_id=current_user.id)
    back = request.args.get("back", "/notices")
    if back not in PORTAL_PAGES:
        back = "/notices"
    return redirect(back)
