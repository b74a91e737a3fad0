from flask import Blueprint, redirect, request
from flask_login import current_user, logout_user

from payroll.audit import record_signout

bp = Blueprint("session", __name__)


@bp.get("/logout")
def logout():
    if current_user.is_authenticated:
        record_signout(current_user.id)
    logout_user()
    nav = {
        "signin": "/login?signed_out=1",
        "back": request.args.get("back", "/"),
    }
    return redirect(nav["back"])
