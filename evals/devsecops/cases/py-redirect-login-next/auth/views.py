from flask import Blueprint, redirect, render_template, request
from flask_login import login_user

from auth.models import User

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    user = User.authenticate(request.form["email"], request.form["password"])
    if user is None:
        return render_template("login.html", error="Wrong e-mail or password"), 401
    login_user(user)
    return redirect(request.args.get("next", "/"))
