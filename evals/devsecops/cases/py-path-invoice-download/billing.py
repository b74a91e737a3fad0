import os

from flask import Flask, request, send_file

app = Flask(__name__)
INVOICE_DIR = "/srv/billing/invoices"


@app.get("/invoices/download")
def download_invoice():
    name = request.args["file"]
    return send_file(os.path.join(INVOICE_DIR, name), mimetype="application/pdf")
