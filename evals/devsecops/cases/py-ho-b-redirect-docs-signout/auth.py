import os

from flask import Flask, redirect, request, session

from docs.audit import record_logout

app = Flask(__name__)
app.secret_key = os.environ["DOCS_SECRET_KEY"]

AFTER_LOGOUT = {"/", "/docs", "/docs/changelog", "/pricing"}


@app.get("/logout")
def logout():
    user_id = session.get("user_id")
    session.clear()
    if user_id is not None:
        record_logout(user_id)
    target = request.args.get("next", "/docs")
    if target not in AFTER_LOGOUT:
        target = "/docs"
    return redirect(target)
