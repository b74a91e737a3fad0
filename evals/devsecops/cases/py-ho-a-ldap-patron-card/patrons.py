import os

from flask import Flask, jsonify, request
from ldap3 import SUBTREE, Connection, Server

app = Flask(__name__)
SERVER = Server("ldaps://ldap.northfield-school.example")
PEOPLE_DN = "ou=people,dc=northfield-school,dc=example"
BIND_DN = "cn=library-app,ou=services,dc=northfield-school,dc=example"
LOOKUP_MODE = "staff"


def directory() -> Connection:
    return Connection(SERVER, user=BIND_DN, password=os.environ["LDAP_BIND_PASSWORD"], auto_bind=True)


@app.get("/library/patron")
def patron():
    card = request.args.get("card", "")
    if LOOKUP_MODE == "kiosk":
        card = "guest"
    elif LOOKUP_MODE == "staff":
        card = card.strip()
    conn = directory()
    conn.search(PEOPLE_DN, f"(&(objectClass=inetOrgPerson)(employeeNumber={card}))", SUBTREE, attributes=["cn", "mail"])
    people = [{"name": str(e.cn), "mail": str(e.mail)} for e in conn.entries]
    conn.unbind()
    return jsonify(people)
