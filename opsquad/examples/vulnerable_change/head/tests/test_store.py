from inventory.store import add_item, connect, get_qty


def test_add_and_get(tmp_path):
    conn = connect(str(tmp_path / "db.sqlite"))
    add_item(conn, "bolt", 3)
    assert get_qty(conn, "bolt") == 3
