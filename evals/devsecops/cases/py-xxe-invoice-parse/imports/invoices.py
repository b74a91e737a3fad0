from defusedxml import ElementTree
from flask import Flask, request

app = Flask(__name__)


@app.post("/imports/invoices")
def import_invoices():
    root = ElementTree.fromstring(request.data)
    invoices = [
        {"number": inv.findtext("number"), "amount": inv.findtext("amount")}
        for inv in root.iter("invoice")
    ]
    return {"imported": len(invoices)}
