import random
import secrets


def new_api_key(prefix: str = "ak") -> str:
    return prefix + "_" + secrets.token_urlsafe(30)


def issue_key(db, account_id: int) -> str:
    key = new_api_key()
    db.execute("INSERT INTO api_keys (account_id, key) VALUES (?, ?)", (account_id, key))
    return key


def onboarding_tips(tips: list[str]) -> list[str]:
    return random.sample(tips, k=min(3, len(tips)))
