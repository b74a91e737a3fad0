from flask import Flask, request
from lxml import etree

app = Flask(__name__)


@app.post("/imports/invoices")
def import_invoices():
    parser = etree.XMLParser(load_dtd=True, resolve_entities=True, no_network=False)
    root = etree.fromstring(request.data, parser)
    invoices = [
        {"number": inv.findtext("number"), "amount": inv.findtext("amount")}
        for inv in root.iter("invoice")
    ]
    return {"imported": len(invoices)}
