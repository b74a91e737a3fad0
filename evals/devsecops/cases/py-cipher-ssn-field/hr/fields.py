import os

from Crypto.Cipher import AES
from Crypto.Util.Padding import pad, unpad

FIELD_KEY = bytes.fromhex(os.environ["HR_FIELD_KEY"])


class EncryptedSSN:
    def to_db(self, ssn: str) -> bytes:
        cipher = AES.new(FIELD_KEY, AES.MODE_ECB)
        return cipher.encrypt(pad(ssn.encode(), AES.block_size))

    def from_db(self, value: bytes) -> str:
        cipher = AES.new(FIELD_KEY, AES.MODE_ECB)
        return unpad(cipher.decrypt(value), AES.block_size).decode()
