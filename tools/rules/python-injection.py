# ruff: noqa
# mypy: ignore-errors
# Test cases for python-injection.yaml (semgrep --test). Deliberately vulnerable code: never import it.
import asyncio
import json
import os
import re
import shlex
import sqlite3
import subprocess
from re import compile as re_compile

import ldap
import ldap.filter
import ldap3.utils.conv
import sqlalchemy
from flask import Flask, request
from ldap.filter import escape_filter_chars
from lxml import etree

app = Flask(__name__)
OPERATIONS = object()
ATTRIBUTE_RE = re.compile(r"[^;\s]")


def sql_cases(conn: sqlite3.Connection, user_id: str, name: str, table: str):
    cur = conn.cursor()
    # ruleid: python-sql-injection-string-built-query
    cur.execute("SELECT * FROM users WHERE id = %s" % user_id)
    # ruleid: python-sql-injection-string-built-query
    cur.execute("SELECT * FROM users WHERE name = '" + name + "'")
    # ruleid: python-sql-injection-string-built-query
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    # ruleid: python-sql-injection-string-built-query
    cur.execute("DELETE FROM {} WHERE id = 1".format(table))

    query = "SELECT * FROM users WHERE name = '%s'" % name
    # ruleid: python-sql-injection-string-built-query
    cur.execute(query)

    sql = "SELECT * FROM users WHERE 1 = 1"
    sql += " AND name = '" + name + "'"
    # ruleid: python-sql-injection-string-built-query
    cur.executemany(sql, [])

    # ruleid: python-sql-injection-string-built-query
    conn.execute(sqlalchemy.text(f"SELECT * FROM {table}"))

    # ok: python-sql-injection-string-built-query
    cur.execute("SELECT * FROM users WHERE id = %s", (user_id,))
    # ok: python-sql-injection-string-built-query
    cur.execute("SELECT * FROM users WHERE name = ?", [name])
    safe = "SELECT * FROM users WHERE name = :name"
    # ok: python-sql-injection-string-built-query
    cur.execute(safe, {"name": name})
    # ok: python-sql-injection-string-built-query
    cur.execute("SELECT * FROM users " + "ORDER BY id")
    # ok: python-sql-injection-string-built-query
    conn.execute(sqlalchemy.text("SELECT * FROM users WHERE id = :id"), {"id": user_id})
    base = "SELECT * FROM users"
    base = base + " WHERE name = %s"
    # ok: python-sql-injection-string-built-query
    cur.execute(base, (name,))
    TABLE = "users"
    # ok: python-sql-injection-string-built-query
    cur.execute(f"SELECT * FROM {TABLE} WHERE id = ?", (user_id,))
    # ok: python-sql-injection-string-built-query
    cur.execute("SELECT * FROM users LIMIT %d" % int(user_id))
    # ok: python-sql-injection-string-built-query
    cur.execute(f"SELECT * FROM users LIMIT {int(user_id)}")
    # ruleid: python-sql-injection-string-built-query
    cur.execute(f"SELECT * FROM {TABLE} WHERE name = '{name}'")


def command_cases(host: str, args: list[str]):
    # ruleid: python-os-command-injection-shell
    subprocess.run("ping -c 1 " + host, shell=True)
    # ruleid: python-os-command-injection-shell
    subprocess.check_output(f"nslookup {host}", shell=True)
    cmd = "traceroute %s" % host
    # ruleid: python-os-command-injection-shell
    subprocess.Popen(cmd, shell=True)
    # ruleid: python-os-command-injection-shell
    subprocess.call(args=cmd, shell=True)
    # ruleid: python-os-command-injection-shell
    os.system("ping " + host)
    # ruleid: python-os-command-injection-shell
    os.popen(cmd)
    # ruleid: python-os-command-injection-shell
    subprocess.getoutput(cmd)
    # ruleid: python-os-command-injection-shell
    asyncio.create_subprocess_shell(cmd)

    # ok: python-os-command-injection-shell
    subprocess.run("ls -l /tmp", shell=True)
    fixed = "uptime"
    # ok: python-os-command-injection-shell
    subprocess.run(fixed, shell=True)
    # ok: python-os-command-injection-shell
    os.system("clear")
    # ok: python-os-command-injection-shell
    subprocess.run(["ping", "-c", "1", host])
    # ok: python-os-command-injection-shell
    subprocess.run(["ping", "-c", "1", host], shell=False)


def eval_cases(expr: str, source: str):
    # ruleid: python-eval-injection
    eval(expr)
    # ruleid: python-eval-injection
    eval("1 + " + expr)
    # ruleid: python-eval-injection
    eval(f"{expr} * 2", {"__builtins__": {}})

    # ok: python-eval-injection
    eval("1 + 1")
    constant = "2 ** 10"
    # ok: python-eval-injection
    eval(constant)
    import ast

    # ok: python-eval-injection
    ast.literal_eval(expr)
    # ok: python-eval-injection
    json.loads(expr)


def exec_cases(source: str, tree, name: str):
    # ruleid: python-exec-code-injection
    exec(source, {})
    # ruleid: python-exec-code-injection
    exec("def handler():\n    return " + name)
    # ruleid: python-exec-code-injection
    code = compile(source, "<user>", "exec")
    # ruleid: python-exec-code-injection
    exec(compile(tree, filename="<ast>", mode="exec"))

    # ok: python-exec-code-injection
    exec("x = 1")
    # ok: python-exec-code-injection
    exec(compile("x = 1", "<const>", "exec"))
    # ok: python-exec-code-injection
    pattern = re.compile(name)
    # ok: python-exec-code-injection
    matcher = re_compile(name)
    # ok: python-exec-code-injection
    getattr(OPERATIONS, name)()
    return code, pattern, matcher


def ldap_cases(conn, conn3, user: str, ou: str, raw_filter: str):
    # ruleid: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, f"(uid={user})")
    # ruleid: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=" + user + ")", ["cn"])
    query = "(&(uid=%s)(ou=%s))" % (escape_filter_chars(user), ou)
    # ruleid: python-ldap-injection
    conn.search_ext_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, query)
    # ruleid: python-ldap-injection
    conn3.search("dc=example,dc=org", "(cn={})".format(user), attributes=["mail"])
    # ruleid: python-ldap-injection
    conn3.search(search_base="dc=example,dc=org", search_filter="(mail=%s)" % user)

    # ok: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, f"(uid={escape_filter_chars(user)})")
    # ok: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=" + escape_filter_chars(user) + ")")
    safe = "(&(uid=%s)(ou=%s))" % (escape_filter_chars(user), escape_filter_chars(ou))
    # ok: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, safe)
    # ok: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, ldap.filter.filter_format("(uid=%s)", [user]))
    # ok: python-ldap-injection
    conn3.search("dc=example,dc=org", "(cn={})".format(ldap3.utils.conv.escape_filter_chars(user)))
    # ok: python-ldap-injection
    conn3.search("dc=example,dc=org", "(objectClass=person)")
    # A wrapper that passes a filter through is judged where the filter is built.
    # ok: python-ldap-injection
    conn3.search("dc=example,dc=org", raw_filter)
    # ok: python-ldap-injection
    re.search(r"\d+", "uid=" + user)
    next_index = raw_filter.find(";") + 1
    # ok: python-ldap-injection
    start = ATTRIBUTE_RE.search(raw_filter, next_index)
    prefix = "(uid="
    # ruleid: python-ldap-injection
    conn3.search("dc=example,dc=org", prefix + user + ")")
    # ok: python-ldap-injection
    conn3.search("dc=example,dc=org", prefix + escape_filter_chars(user) + ")")
    base_filter = get_base_filter()
    # ruleid: python-ldap-injection
    conn3.search("dc=example,dc=org", "(&" + base_filter + "(uid=" + user + "))")


@app.route("/directory")
def ldap_web_case():
    conn = ldap.initialize("ldap://ldap.example.org")
    # ruleid: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, request.args["filter"])
    # ok: python-ldap-injection
    conn.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=%s)" % escape_filter_chars(request.args["uid"]))


def xpath_cases(tree, user: str, item_id: str):
    # ruleid: python-xpath-injection
    tree.xpath(f"//user[@name='{user}']")
    query = "//user[@name='" + user + "']/password"
    # ruleid: python-xpath-injection
    tree.xpath(query)
    # ruleid: python-xpath-injection
    finder = etree.XPath("//item[@id='%s']" % item_id)

    # ok: python-xpath-injection
    tree.xpath("//user[@name=$name]", name=user)
    # ok: python-xpath-injection
    find_user = etree.XPath("//user[@name=$name]")
    # ok: python-xpath-injection
    tree.xpath(f"//item[position()={int(item_id)}]")
    # ok: python-xpath-injection
    tree.xpath("//user")
    return finder, find_user


@app.route("/lookup")
def xpath_web_case():
    doc = etree.parse("users.xml", etree.XMLParser(resolve_entities=False))
    # ruleid: python-xpath-injection
    doc.xpath(request.args.get("q"))
    # ok: python-xpath-injection
    doc.xpath("//user[@name=$n]", n=request.args.get("name"))


def shell_argument_list_cases():
    name = request.args.get("name")
    # ruleid: python-command-injection-shell-argument-list
    subprocess.run(["sh", "-c", "echo " + name])
    # ruleid: python-command-injection-shell-argument-list
    subprocess.Popen(["cmd.exe", "/c", f"dir {name}"])
    args = []
    args.append("sh")
    args.append("-c")
    args.append("ls " + request.form["dir"])
    # ruleid: python-command-injection-shell-argument-list
    subprocess.Popen(args)
    # ok: python-command-injection-shell-argument-list
    subprocess.run(["echo", name])
    # ok: python-command-injection-shell-argument-list
    subprocess.run(["sh", "-c", "echo " + shlex.quote(name)])
    # ok: python-command-injection-shell-argument-list
    subprocess.run(["sh", "-c", "echo hello"])
    listing = ["ls", "-la"]
    listing.append(request.args["dir"])
    # ok: python-command-injection-shell-argument-list
    subprocess.run(listing)
