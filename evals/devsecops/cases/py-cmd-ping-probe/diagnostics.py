import ipaddress
import subprocess

from flask import Flask, abort, request

app = Flask(__name__)


@app.post("/diagnostics/ping")
def ping_host():
    try:
        host = str(ipaddress.ip_address(request.form["host"]))
    except ValueError:
        abort(400)
    result = subprocess.run(["ping", "-c", "1", "-W", "2", host], capture_output=True, timeout=5)
    return {"host": host, "reachable": result.returncode == 0}
