import os

from flask import Flask, abort, redirect, request, session
from werkzeug.security import check_password_hash

from newsroom.staff import find_editor

app = Flask(__name__)
app.secret_key = os.environ["NEWSROOM_SECRET"]


@app.post("/editor/login")
def editor_login():
    editor = find_editor(request.form["email"])
    if editor is None or not check_password_hash(editor.password_hash, request.form["password"]):
        abort(401)
    desks = [editor.desk]
    desks.append(request.form.get("desk", ""))
    session["editor_id"] = editor.id
    session["desk"] = desks[0]
    return redirect("/editor/queue")
