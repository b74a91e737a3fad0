from ldap3 import SUBTREE, Connection, Server
from ldap3.utils.conv import escape_filter_chars

server = Server("ldaps://ldap.corp.acme.io")
BASE_DN = "ou=people,dc=acme,dc=io"


def find_person(conn: Connection, username: str) -> dict | None:
    uid = escape_filter_chars(username)
    conn.search(BASE_DN, f"(&(objectClass=person)(uid={uid}))", SUBTREE, attributes=["cn", "mail"])
    if not conn.entries:
        return None
    entry = conn.entries[0]
    return {"name": str(entry.cn), "mail": str(entry.mail)}


def lookup_view(request, conn: Connection):
    return find_person(conn, request.GET["user"]) or {"error": "unknown user"}
