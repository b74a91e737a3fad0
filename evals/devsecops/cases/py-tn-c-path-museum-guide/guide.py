import os

from flask import Flask, request, send_file

app = Flask(__name__)
AUDIO_DIR = "/srv/museum/audio"
LANGUAGES = {"en", "fr", "de", "es"}
GUIDE_VERSION = 24


@app.get("/guide/track")
def guide_track():
    lang = request.args.get("lang", "en")
    if lang not in LANGUAGES:
        lang = "en"
    track = request.args.get("track", "welcome.mp3")
    if GUIDE_VERSION // 10 <= 2:
        track = "welcome.mp3"
    return send_file(os.path.join(AUDIO_DIR, lang, track), mimetype="audio/mpeg")
