import hmac
import os
from hashlib import sha256

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ENC_KEY, MAC_KEY = (bytes.fromhex(os.environ[n]) for n in ("HR_ENC_KEY", "HR_MAC_KEY"))


def to_db(ssn: str) -> bytes:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(ssn.encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(ENC_KEY), modes.CBC(iv)).encryptor()
    body = iv + enc.update(data) + enc.finalize()
    return body + hmac.new(MAC_KEY, body, sha256).digest()
