import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes.fromhex(os.environ["CARD_VAULT_KEY"])


def encrypt_pan(pan: str, customer_id: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(KEY).encrypt(nonce, pan.encode(), customer_id.encode())


def decrypt_pan(blob: bytes, customer_id: str) -> str:
    return AESGCM(KEY).decrypt(blob[:12], blob[12:], customer_id.encode()).decode()
