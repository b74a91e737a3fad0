import shlex
import subprocess

from flask import Flask, jsonify, request

app = Flask(__name__)
EPISODES = "/srv/podcast/episodes"
CLIPS = "/srv/podcast/clips"


@app.post("/episodes/<int:episode_id>/clip")
def make_clip(episode_id: int):
    data = request.get_json(force=True)
    title = shlex.quote(data.get("title", "clip"))
    start = float(data.get("start", 0))
    length = min(float(data.get("length", 30)), 120.0)
    out_file = f"{CLIPS}/{episode_id}-{int(start)}.mp3"
    cmd = f"ffmpeg -y -ss {start} -t {length} -i {EPISODES}/{episode_id}.mp3 -metadata title={title} {out_file}"
    subprocess.run(cmd, shell=True, check=True, timeout=120)
    return jsonify({"clip": out_file})
