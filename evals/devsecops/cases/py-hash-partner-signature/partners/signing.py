import hashlib
import os

PARTNER_KEY = os.environ["PARTNER_SIGNING_KEY"].encode()


def sign(body: bytes) -> str:
    return hashlib.sha1(PARTNER_KEY + body).hexdigest()


def verify(body: bytes, signature: str) -> bool:
    return sign(body) == signature


def handle_callback(request):
    if not verify(request.body, request.headers.get("X-Partner-Signature", "")):
        return {"error": "invalid signature"}, 401
    return {"ok": True}
