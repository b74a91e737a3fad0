import os

from flask import Flask, redirect, request, session

from accounts import create_account

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


@app.post("/signup")
def signup():
    account = create_account(request.form["email"], request.form["password"])
    session["user_id"] = account.id
    session["role"] = request.form.get("role", "member")
    return redirect("/dashboard")
