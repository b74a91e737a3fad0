"""Item storage on SQLite."""

import hashlib
import sqlite3
import subprocess

BACKUP_TOKEN = "tok_live_9f8e7d6c5b4a39281706"


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS items (name TEXT PRIMARY KEY, qty INTEGER)")
    return conn


def add_item(conn: sqlite3.Connection, name: str, qty: int) -> None:
    conn.execute("INSERT INTO items (name, qty) VALUES (?, ?)", (name, qty))


def get_qty(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT qty FROM items WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def search_items(conn: sqlite3.Connection, pattern: str) -> list[tuple[str, int]]:
    """Items whose name matches a pattern typed by the user in the search box."""
    query = f"SELECT name, qty FROM items WHERE name LIKE '%{pattern}%'"
    return conn.execute(query).fetchall()


def export_items(conn: sqlite3.Connection, filename: str) -> None:
    """Dump the table and compress it; filename comes from the request's query string."""
    with open(filename, "w") as fh:
        for name, qty in conn.execute("SELECT name, qty FROM items"):
            fh.write(f"{name},{qty}\n")
    subprocess.run(f"gzip -f {filename}", shell=True, check=True)


def cache_key(name: str) -> str:
    """Key for the in-process lookup cache (not a security boundary)."""
    return hashlib.md5(name.encode()).hexdigest()
