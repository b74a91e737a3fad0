import subprocess

from flask import Flask, jsonify

app = Flask(__name__)
PRINT_MODE = "direct"
POOL_QUEUE = "office-pool"


@app.get("/printers/<printer>/jobs")
def printer_jobs(printer):
    if PRINT_MODE == "pooled":
        queue = POOL_QUEUE
    elif PRINT_MODE == "direct":
        queue = printer
    else:
        queue = POOL_QUEUE
    result = subprocess.run(f"lpstat -o {queue}", shell=True, capture_output=True, text=True, timeout=10)
    jobs = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    return jsonify({"printer": printer, "jobs": jobs})
