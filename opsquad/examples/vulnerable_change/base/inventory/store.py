"""Item storage on SQLite."""

import sqlite3


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS items (name TEXT PRIMARY KEY, qty INTEGER)")
    return conn


def add_item(conn: sqlite3.Connection, name: str, qty: int) -> None:
    conn.execute("INSERT INTO items (name, qty) VALUES (?, ?)", (name, qty))


def get_qty(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT qty FROM items WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None
