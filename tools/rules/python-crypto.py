# ruff: noqa
# mypy: ignore-errors
# Test cases for python-crypto.yaml (semgrep --test). Deliberately weak code: never import it.
import hashlib
import random
import secrets

import flask
import ssl
import string
from random import choice

import aiohttp
import httpx
import requests
import rsa as pyrsa
import urllib3
from Crypto.Cipher import AES, ARC4, DES, DES3, Blowfish
from Crypto.PublicKey import RSA
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


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
    # ok: python-insecure-random-for-secret
    api_key = secrets.token_urlsafe(32)
    # ok: python-insecure-random-for-secret
    password = "".join(secrets.choice(alphabet) for _ in range(16))
    return reset_token, session_id, delay, sample, token


def make_otp():
    # ruleid: python-insecure-random-for-secret
    return str(random.randint(100000, 999999))


def jitter():
    # ok: python-insecure-random-for-secret
    return random.random()


def send_login_code(user, sms_client, cache):
    # ruleid: python-insecure-random-for-secret
    code = f"{random.randint(0, 999999):06d}"
    cache.set(f"otp:{user.id}", code, timeout=300)
    # ok: python-insecure-random-for-secret
    delay = random.uniform(0, 2)
    sms_client.send(user.phone, f"Your sign-in code is {code}", delay=delay)


def new_api_key(prefix="ak"):
    alphabet = string.ascii_letters + string.digits
    # ruleid: python-insecure-random-for-secret
    return prefix + "_" + "".join(random.choices(alphabet, k=40))


def issue_invite(user):
    # ruleid: python-insecure-random-for-secret
    invite_code = "".join(random.sample(string.ascii_uppercase, 8))
    # ruleid: python-insecure-random-for-secret
    user.mfa_pin = random.randrange(1000, 10000)
    return invite_code


def send_login_code_secure(user, sms_client):
    # ok: python-insecure-random-for-secret
    code = f"{secrets.randbelow(10**6):06d}"
    sms_client.send(user.phone, f"Your sign-in code is {code}")


def onboarding_tips(tips):
    # ok: python-insecure-random-for-secret
    return random.sample(tips, k=min(3, len(tips)))


def get_with_retry(client, url):
    # ok: python-insecure-random-for-secret
    pause = random.uniform(0, 0.5)
    # ok: python-insecure-random-for-secret
    error_code = random.choice([500, 502, 503])
    return client.get(url, timeout=pause), error_code


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


def more_tls_cases(url: str, sock):
    # ruleid: python-tls-verification-disabled
    ssl._create_default_https_context = ssl._create_unverified_context
    # ruleid: python-tls-verification-disabled
    wrapped = ssl.wrap_socket(sock, cert_reqs=ssl.CERT_NONE)
    # ruleid: python-tls-verification-disabled
    pool = urllib3.PoolManager(cert_reqs="CERT_NONE")
    ctx = ssl.create_default_context()
    # ruleid: python-tls-hostname-check-disabled
    ctx.check_hostname = False
    # ruleid: python-tls-verification-disabled
    ctx.verify_mode = ssl.CERT_NONE
    # ruleid: python-tls-verification-disabled
    connector = aiohttp.TCPConnector(ssl=False)

    strict = ssl.create_default_context()
    # ok: python-tls-verification-disabled
    strict.verify_mode = ssl.CERT_REQUIRED
    # ok: python-tls-hostname-check-disabled
    strict.check_hostname = True
    # ok: python-tls-verification-disabled
    pool2 = urllib3.PoolManager(cert_reqs="CERT_REQUIRED")
    # ruleid: python-tls-hostname-check-disabled
    pool3 = urllib3.PoolManager(assert_hostname=False)
    # ok: python-tls-hostname-check-disabled
    pool4 = urllib3.PoolManager(assert_hostname="internal.example.com")
    # ok: python-tls-verification-disabled
    if strict.verify_mode == ssl.CERT_NONE:
        raise RuntimeError("verification must stay on")
    return wrapped, pool, connector, pool2


async def aiohttp_cases(session: aiohttp.ClientSession, url: str):
    # ruleid: python-tls-verification-disabled
    await session.get(url, ssl=False)
    # ok: python-tls-verification-disabled
    await session.get(url, ssl=ssl.create_default_context())


def cipher_cases(key: bytes, iv: bytes):
    # ruleid: python-weak-cipher-algorithm
    des = DES.new(key, DES.MODE_CBC, iv)
    # ruleid: python-weak-cipher-algorithm
    tdes = DES3.new(key, DES3.MODE_CBC, iv)
    # ruleid: python-weak-cipher-algorithm
    rc4 = ARC4.new(key)
    # ruleid: python-weak-cipher-algorithm
    bf = Blowfish.new(key, Blowfish.MODE_CBC, iv)
    # ruleid: python-weak-cipher-algorithm
    c1 = Cipher(algorithms.TripleDES(key), modes.CBC(iv))
    # ruleid: python-weak-cipher-algorithm
    c2 = Cipher(algorithms.ARC4(key), mode=None)

    # ok: python-weak-cipher-algorithm
    aes = AES.new(key, AES.MODE_GCM)
    # ok: python-weak-cipher-algorithm
    c3 = Cipher(algorithms.AES(key), modes.GCM(iv))
    # ok: python-weak-cipher-algorithm
    c4 = Cipher(algorithms.ChaCha20(key, iv), mode=None)
    return des, tdes, rc4, bf, c1, c2, aes, c3, c4


def ecb_cases(key: bytes, iv: bytes):
    # ruleid: python-cipher-ecb-mode
    e1 = AES.new(key, AES.MODE_ECB)
    # ruleid: python-cipher-ecb-mode
    e2 = Cipher(algorithms.AES(key), modes.ECB())
    # ruleid: python-cipher-ecb-mode
    e3 = AES.new(key)

    # ok: python-cipher-ecb-mode
    g1 = AES.new(key, AES.MODE_GCM, nonce=iv)
    # ok: python-cipher-ecb-mode
    g2 = Cipher(algorithms.AES(key), modes.CBC(iv))
    return e1, e2, e3, g1, g2


def key_size_cases():
    # ruleid: python-insufficient-key-size
    k1 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    # ruleid: python-insufficient-key-size
    k2 = RSA.generate(1024)
    # ruleid: python-insufficient-key-size
    k3 = dsa.generate_private_key(key_size=1024)
    # ruleid: python-insufficient-key-size
    pub, priv = pyrsa.newkeys(512)
    # ruleid: python-insufficient-key-size
    k4 = ec.generate_private_key(ec.SECP192R1())
    bits = 1536
    # ruleid: python-insufficient-key-size
    k5 = rsa.generate_private_key(65537, bits)

    # ok: python-insufficient-key-size
    g1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # ok: python-insufficient-key-size
    g2 = RSA.generate(4096)
    # ok: python-insufficient-key-size
    g3 = ec.generate_private_key(ec.SECP256R1())
    # ok: python-insufficient-key-size
    g4 = dsa.generate_private_key(key_size=3072)
    return k1, k2, k3, k4, k5, pub, priv, g1, g2, g3, g4


def random_to_client_cases(response):
    remember = str(random.random())[2:]
    # ruleid: python-insecure-random-to-client
    response.set_cookie("rememberMe", remember, secure=True, httponly=True)
    # ruleid: python-insecure-random-to-client
    flask.session["user_id"] = "user" + str(random.getrandbits(32))
    # ruleid: python-insecure-random-to-client
    response.headers["X-Request-Id"] = str(random.randint(0, 10**9))
    # ok: python-insecure-random-to-client
    response.set_cookie("rememberMe", secrets.token_urlsafe(32), secure=True, httponly=True)
    # ok: python-insecure-random-to-client
    response.set_cookie("theme", "dark", secure=True, httponly=True)
    tip = random.choice(["a", "b"])
    # ok: python-insecure-random-to-client
    return tip
