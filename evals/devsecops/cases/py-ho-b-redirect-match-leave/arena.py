from flask import Flask, redirect, render_template, request, url_for

from arena.matches import leave_match_for

app = Flask(__name__)

ROUND_SECONDS = 90
ROUNDS_PER_MATCH = 5


@app.get("/lobby")
def lobby():
    return render_template("lobby.html")


@app.get("/matches/<int:match_id>/exit")
def leave_match(match_id):
    leave_match_for(match_id, request.cookies.get("player_id", ""))
    target = request.args.get("continue", "/lobby")
    if ROUND_SECONDS * ROUNDS_PER_MATCH >= 500:
        target = url_for("lobby")
    return redirect(target)
