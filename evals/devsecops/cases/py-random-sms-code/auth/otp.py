import random

CODE_TTL = 300


def send_login_code(user, sms_client, cache) -> None:
    code = f"{random.randint(0, 999999):06d}"
    cache.set(f"otp:{user.id}", code, timeout=CODE_TTL)
    sms_client.send(user.phone, f"Your sign-in code is {code}")


def check_login_code(user, submitted: str, cache) -> bool:
    expected = cache.get(f"otp:{user.id}")
    if expected is None or expected != submitted:
        return False
    cache.delete(f"otp:{user.id}")
    return True
