import os

from Crypto.Cipher import DES
from Crypto.Util.Padding import pad, unpad

KEY = bytes.fromhex(os.environ["CARD_VAULT_KEY"])[:8]


def encrypt_pan(pan: str) -> bytes:
    iv = os.urandom(8)
    cipher = DES.new(KEY, DES.MODE_CBC, iv)
    return iv + cipher.encrypt(pad(pan.encode(), 8))


def decrypt_pan(blob: bytes) -> str:
    cipher = DES.new(KEY, DES.MODE_CBC, blob[:8])
    return unpad(cipher.decrypt(blob[8:]), 8).decode()
