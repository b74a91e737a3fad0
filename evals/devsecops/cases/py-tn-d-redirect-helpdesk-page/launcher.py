from flask import Flask, redirect, request

app = Flask(__name__)

HELP_CENTER = "https://help.starfall-games.com"
PLATFORMS = {"pc", "console", "mobile"}


@app.get("/launcher/help")
def launcher_help():
    page = request.args.get("page", "/")
    platform = request.args.get("platform", "pc")
    if platform not in PLATFORMS:
        platform = "pc"
    return redirect(HELP_CENTER + page + "?platform=" + platform)
