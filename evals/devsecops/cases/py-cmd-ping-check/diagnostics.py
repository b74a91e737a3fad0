import os

from flask import Flask, request

app = Flask(__name__)


@app.post("/diagnostics/ping")
def ping_host():
    host = request.form["host"]
    status = os.system("ping -c 1 -W 2 " + host)
    return {"host": host, "reachable": status == 0}
