from flask import Flask, redirect, request
from flask_login import current_user, login_required
from markupsafe import escape

from school.notices import mark_read

app = Flask(__name__)


@app.get("/notices/<int:notice_id>/read")
@login_required
def read_notice(notice_id: int):
    mark_read(notice_id, student_id=current_user.id)
    back = escape(request.args.get("back", "/notices"))
    return redirect(back)
