import os
from html import escape

from flask import Flask, redirect, request, session

from docs.audit import record_logout

app = Flask(__name__)
app.secret_key = os.environ["DOCS_SECRET_KEY"]


@app.get("/logout")
def logout():
    user_id = session.get("user_id")
    session.clear()
    if user_id is not None:
        record_logout(user_id)
    target = escape(request.args.get("next", "/docs"))
    return redirect(target)
