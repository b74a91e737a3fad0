import shlex
import subprocess

from flask import Flask, jsonify, request

app = Flask(__name__)
SRVCTL = "/opt/arena/bin/srvctl"


@app.post("/servers/<int:server_id>/map")
def change_map(server_id):
    map_name = request.form.get("map", "dust")
    map_arg = shlex.quote(map_name)
    proc = subprocess.run(f"{SRVCTL} --server {server_id} load-map --name={map_arg}", shell=True, capture_output=True, text=True)
    if proc.returncode != 0:
        return jsonify({"error": proc.stderr.strip()}), 502
    return jsonify({"server": server_id, "map": map_name})
