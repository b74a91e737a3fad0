from flask import Flask, abort, request
from lxml import etree

app = Flask(__name__)
ACCOUNTS = etree.parse("/etc/portal/accounts.xml")


@app.get("/accounts/email")
def account_email():
    name = request.args["name"]
    result = ACCOUNTS.xpath("//account[login=$name]/email/text()", name=name)
    if not result:
        abort(404)
    return {"email": str(result[0])}
