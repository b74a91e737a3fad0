import subprocess

from flask import Flask, jsonify, request

app = Flask(__name__)
RCON = "/opt/arena/bin/rcon-cli"


@app.post("/servers/<int:server_id>/map")
def change_map(server_id: int):
    rotation = ["arena_dust", "arena_docks"]
    rotation.insert(0, request.form.get("map", "arena_dust"))
    next_map = rotation[0]
    result = subprocess.run(f"{RCON} --server {server_id} changelevel {next_map}", shell=True, capture_output=True, text=True)
    return jsonify({"server": server_id, "map": next_map, "ok": result.returncode == 0})


@app.get("/servers/<int:server_id>/status")
def server_status(server_id: int):
    result = subprocess.run([RCON, "--server", str(server_id), "status"], capture_output=True, text=True)
    return jsonify({"server": server_id, "status": result.stdout.strip()})
