# ruff: noqa
# mypy: ignore-errors
# Test cases for python-crypto.yaml (semgrep --test). Deliberately weak code: never import it.
import hashlib
import random
import ssl
import string
from random import choice

import httpx
import requests
from cryptography.hazmat.primitives import hashes


def hash_cases(data: bytes, password: str):
    # ruleid: python-weak-hash-md5-sha1
    digest = hashlib.md5(data).hexdigest()
    # ruleid: python-weak-hash-md5-sha1
    pw_hash = hashlib.sha1(password.encode()).hexdigest()
    # ruleid: python-weak-hash-md5-sha1
    h = hashlib.new("md5")
    # ruleid: python-weak-hash-md5-sha1
    h2 = hashes.Hash(hashes.SHA1())

    # ok: python-weak-hash-md5-sha1
    etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
    # ok: python-weak-hash-md5-sha1
    good = hashlib.sha256(data).hexdigest()
    # ok: python-weak-hash-md5-sha1
    h3 = hashlib.new("sha256")
    return digest, pw_hash, h, h2, etag, good, h3


def random_cases(user):
    alphabet = string.ascii_letters + string.digits
    # ruleid: python-insecure-random-for-secret
    reset_token = "".join(random.choice(alphabet) for _ in range(32))
    # ruleid: python-insecure-random-for-secret
    user.password = "".join(choice(alphabet) for _ in range(12))
    # ruleid: python-insecure-random-for-secret
    session_id = random.getrandbits(128)
    settings = {}
    # ruleid: python-insecure-random-for-secret
    settings["api_key"] = "%032x" % random.getrandbits(128)

    # ok: python-insecure-random-for-secret
    delay = random.uniform(0.1, 0.5)
    # ok: python-insecure-random-for-secret
    sample = random.sample(range(100), 10)
    # ok: python-insecure-random-for-secret
    token = "".join(random.SystemRandom().choice(alphabet) for _ in range(32))
    return reset_token, session_id, delay, sample, token


def make_otp():
    # ruleid: python-insecure-random-for-secret
    return str(random.randint(100000, 999999))


def jitter():
    # ok: python-insecure-random-for-secret
    return random.random()


def tls_cases(url: str):
    # ruleid: python-tls-verification-disabled
    requests.get(url, verify=False)
    # ruleid: python-tls-verification-disabled
    requests.request("POST", url, json={}, verify=False)
    # ruleid: python-tls-verification-disabled
    client = httpx.Client(verify=False)
    session = requests.Session()
    # ruleid: python-tls-verification-disabled
    session.verify = False
    # ruleid: python-tls-verification-disabled
    session.post(url, data={}, verify=False)
    # ruleid: python-tls-verification-disabled
    ctx = ssl._create_unverified_context()

    # ok: python-tls-verification-disabled
    requests.get(url, timeout=5)
    # ok: python-tls-verification-disabled
    requests.get(url, verify="/etc/ssl/internal-ca.pem")
    # ok: python-tls-verification-disabled
    httpx.get(url, verify=True)
    return client, ctx
