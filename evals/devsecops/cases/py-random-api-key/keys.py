import random
import string

ALPHABET = string.ascii_letters + string.digits


def new_api_key(prefix: str = "ak") -> str:
    return prefix + "_" + "".join(random.choices(ALPHABET, k=40))


def issue_key(db, account_id: int) -> str:
    key = new_api_key()
    db.execute("INSERT INTO api_keys (account_id, key) VALUES (?, ?)", (account_id, key))
    return key
