import os

from flask import Flask, jsonify, request
from ldap3 import Connection, Server

app = Flask(__name__)
LDAP_URL = "ldaps://ldap.tidewater-logistics.example"
GROUPS_DN = "ou=groups,dc=tidewater-logistics,dc=example"


@app.post("/teams/members")
def team_members():
    body = request.get_json(force=True) or {}
    wanted = [str(body.get("team", "dispatch")), "dispatch"]
    team = wanted[0]
    conn = Connection(Server(LDAP_URL), user=os.environ["LDAP_BIND_DN"],
                      password=os.environ["LDAP_BIND_PASSWORD"], auto_bind=True)
    conn.search(GROUPS_DN, f"(&(objectClass=groupOfNames)(cn={team}))", attributes=["cn", "member"])
    groups = {str(e.cn): [str(m) for m in e.member.values] for e in conn.entries}
    conn.unbind()
    return jsonify(groups)
