from pathlib import Path

from flask import Flask, abort, request, send_file

app = Flask(__name__)
INVOICE_DIR = Path("/srv/billing/invoices").resolve()


@app.get("/invoices/download")
def download_invoice():
    path = (INVOICE_DIR / request.args["file"]).resolve()
    if not path.is_relative_to(INVOICE_DIR) or path.suffix != ".pdf":
        abort(404)
    return send_file(path, mimetype="application/pdf")
