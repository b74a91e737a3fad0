import os

from flask import Flask, abort, redirect, request, session
from werkzeug.security import check_password_hash

from accounts import find_account

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


@app.post("/signin")
def signin():
    account = find_account(request.form["email"])
    if account is None or not check_password_hash(account.password_hash, request.form["password"]):
        abort(401)
    session["user_id"] = account.id
    session["role"] = account.role
    return redirect("/dashboard")
