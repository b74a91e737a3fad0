import hashlib
import hmac


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def check_password(password: str, stored: str) -> bool:
    return hmac.compare_digest(hash_password(password), stored)


def register(db, email: str, password: str) -> None:
    db.execute("INSERT INTO users (email, password_hash) VALUES (?, ?)", (email, hash_password(password)))
