# ruff: noqa
# mypy: ignore-errors
# Test cases for python-injection.yaml (semgrep --test). Deliberately vulnerable code: never import it.
import asyncio
import os
import sqlite3
import subprocess

import sqlalchemy


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
    exec(source, {})
    # ruleid: python-eval-injection
    eval("1 + " + expr)

    # ok: python-eval-injection
    eval("1 + 1")
    # ok: python-eval-injection
    exec("x = 1")
    import ast

    # ok: python-eval-injection
    ast.literal_eval(expr)
