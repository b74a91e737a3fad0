from pathlib import Path

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
NOTES_DIR = Path("/srv/confhub/speaker-notes")


@app.get("/talks/<int:talk_id>/notes")
def talk_notes(talk_id):
    name = request.args.get("file", f"talk-{talk_id}.md")
    try:
        text = Path(NOTES_DIR, name).read_text(encoding="utf-8")
    except FileNotFoundError:
        abort(404)
    return jsonify({"talk": talk_id, "markdown": text})
