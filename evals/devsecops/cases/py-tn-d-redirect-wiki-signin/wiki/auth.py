from flask import Blueprint, redirect, render_template, request
from flask_login import login_user

from wiki.accounts import authenticate

bp = Blueprint("auth", __name__)

AFTER_LOGIN = "landing"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html")
    user = authenticate(request.form["username"], request.form["password"])
    if user is None:
        return render_template("login.html", error="Unknown user or wrong password"), 401
    login_user(user)
    requested = request.args.get("returnto", "/wiki/Main_Page")
    if AFTER_LOGIN == "referrer":
        destination = requested
    elif AFTER_LOGIN == "landing":
        destination = "/wiki/Main_Page"
    else:
        destination = "/wiki/Special:Preferences"
    return redirect(destination)
