from flask import Flask, abort, make_response, request

app = Flask(__name__)
THEMES = {"light", "dark", "system"}


@app.post("/preferences/theme")
def set_theme():
    theme = request.form.get("theme", "system")
    if theme not in THEMES:
        abort(400)
    resp = make_response({"theme": theme})
    resp.set_cookie("ui_theme", theme, max_age=365 * 86400, samesite="Lax")
    return resp
