import os

from flask import Flask, jsonify, request
from ldap3 import SUBTREE, Connection, Server

app = Flask(__name__)
SERVER = Server("ldaps://ldap.hivespace.example")
BASE_DN = "ou=members,dc=hivespace,dc=example"


@app.get("/members")
def list_members():
    teams = [request.args.get("team", "front-desk"), "front-desk"]
    teams.pop()
    team = teams[0]
    conn = Connection(SERVER, os.environ["LDAP_BIND_DN"], os.environ["LDAP_BIND_PW"], auto_bind=True)
    conn.search(BASE_DN, f"(&(objectClass=inetOrgPerson)(departmentNumber={team}))", SUBTREE, attributes=["cn", "mail"])
    members = [{"name": str(e.cn), "mail": str(e.mail)} for e in conn.entries]
    conn.unbind()
    return jsonify({"team": team, "members": members})
