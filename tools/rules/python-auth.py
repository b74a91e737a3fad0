# ruff: noqa
# mypy: ignore-errors
# Test cases for python-auth.yaml (semgrep --test). Deliberately vulnerable code: never import it.
import ftplib
import os
import smtplib

import jwt
import paramiko
import psycopg2
import pymysql
import requests
import sqlalchemy
from django.core.exceptions import PermissionDenied
from flask_login import current_user
from requests.auth import HTTPBasicAuth

DB_PASSWORD = "s3cr3t-Pa55"


# --- assert used for authorization ------------------------------------------------------------------
def delete_project(request, project):
    # ruleid: python-assert-used-for-authorization
    assert request.user.is_staff
    # ruleid: python-assert-used-for-authorization
    assert project.owner == request.user, "not your project"
    project.delete()


def admin_panel(user):
    # ruleid: python-assert-used-for-authorization
    assert user.is_admin, "admins only"
    # ruleid: python-assert-used-for-authorization
    assert user.has_perm("billing.change_invoice")
    # ruleid: python-assert-used-for-authorization
    assert current_user.is_authenticated
    # ruleid: python-assert-used-for-authorization
    assert user.check_password(os.environ.get("ADMIN_PW", ""))
    # ok: python-assert-used-for-authorization
    if not user.is_admin:
        raise PermissionDenied
    # ok: python-assert-used-for-authorization
    assert isinstance(user.id, int)
    # ok: python-assert-used-for-authorization
    assert len(user.name) < 200, "name too long"


def test_admin_flag(admin_user):
    # ok: python-assert-used-for-authorization
    assert admin_user.is_admin


class TestPermissions:
    def test_viewer_can_read(self, user):
        # ok: python-assert-used-for-authorization
        assert user.has_perm("billing.view_invoice")


# --- hard-coded credentials in calls ----------------------------------------------------------------
def connect_everything(host, user):
    # ruleid: python-hardcoded-credentials-in-call
    conn = psycopg2.connect(host=host, user="app", password="hunter2")
    # ruleid: python-hardcoded-credentials-in-call
    db = pymysql.connect(host, "app", "Pa55word!", "appdb")
    smtp = smtplib.SMTP_SSL("smtp.example.com")
    # ruleid: python-hardcoded-credentials-in-call
    smtp.login("alerts@example.com", "mailpass123")
    # ruleid: python-hardcoded-credentials-in-call
    ftp = ftplib.FTP("ftp.example.com", "deploy", "ftp-pass")
    client = paramiko.SSHClient()
    # ruleid: python-hardcoded-credentials-in-call
    client.connect(host, username="root", password=DB_PASSWORD)
    # ruleid: python-hardcoded-credentials-in-call
    requests.get("https://api.example.com/v1/me", auth=("svc", "svc-password"))
    # ruleid: python-hardcoded-credentials-in-call
    requests.get("https://api.example.com/v1/me", auth=HTTPBasicAuth("svc", "svc-password"))
    # ruleid: python-hardcoded-credentials-in-call
    engine = sqlalchemy.create_engine("postgresql://app:tiger@db.internal:5432/app")
    # ruleid: python-hardcoded-credentials-in-call
    conn2 = psycopg2.connect("dbname=app user=app password=tiger host=db.internal")
    # ruleid: python-hardcoded-credentials-in-call
    stripe_client = StripeClient(api_key="sk_live_51Habc")

    # ok: python-hardcoded-credentials-in-call
    conn3 = psycopg2.connect(host=host, user=user, password=os.environ["DB_PASSWORD"])
    # ok: python-hardcoded-credentials-in-call
    smtp.login(user, os.environ.get("SMTP_PASSWORD", ""))
    # ok: python-hardcoded-credentials-in-call
    engine2 = sqlalchemy.create_engine("postgresql://db.internal:5432/app")
    # ok: python-hardcoded-credentials-in-call
    engine3 = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    # ok: python-hardcoded-credentials-in-call
    conn4 = psycopg2.connect(host=host, user="app", password="")
    # ok: python-hardcoded-credentials-in-call
    form = render_form(password="${DB_PASSWORD}")
    # ok: python-hardcoded-credentials-in-call
    field = make_field(name="password", widget="password")
    return conn, db, ftp, engine, conn2, stripe_client, conn3, engine2, engine3, conn4, form, field


def test_login_page(client):
    # ok: python-hardcoded-credentials-in-call
    client.login(username="alice", password="alice-test-pw")


# --- JWT --------------------------------------------------------------------------------------------
def read_claims(token, key):
    # ruleid: python-jwt-signature-not-verified
    claims = jwt.decode(token, options={"verify_signature": False})
    # ruleid: python-jwt-signature-not-verified
    legacy = jwt.decode(token, key, verify=False)
    # ruleid: python-jwt-signature-not-verified
    anything = jwt.decode(token, key, algorithms=["HS256", "none"])

    # ok: python-jwt-signature-not-verified
    verified = jwt.decode(token, key, algorithms=["RS256"], audience="api")
    # ok: python-jwt-signature-not-verified
    header = jwt.get_unverified_header(token)
    # ok: python-jwt-signature-not-verified
    relaxed = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
    return claims, legacy, anything, verified, header, relaxed
