# ruff: noqa
# mypy: ignore-errors
# Test cases for python-files-network.yaml (semgrep --test). Deliberately vulnerable code: never import it.
import os
import shutil
import tarfile
import tempfile
from tempfile import mktemp
import urllib.request
import xml.sax
from pathlib import Path
from urllib.parse import urlparse
from xml.dom import minidom
from xml.sax.handler import feature_external_ges

import defusedxml.lxml
import defusedxml.minidom
import httpx
import requests
from django.http import FileResponse
from fastapi import APIRouter, Depends
from flask import Flask, request, send_file, send_from_directory
from lxml import etree
from werkzeug.utils import secure_filename

app = Flask(__name__)
router = APIRouter()
UPLOADS = "/srv/uploads"
ALLOWED_HOSTS = {"api.example.com"}


# --- path traversal ---------------------------------------------------------------------------------
@app.route("/download")
def download():
    name = request.args.get("file")
    # ruleid: python-path-traversal
    with open(os.path.join(UPLOADS, name), "rb") as fh:
        data = fh.read()
    # ruleid: python-path-traversal
    return send_file(UPLOADS + "/" + request.args["report"])


@app.route("/files/<path:name>")
def read_named(name):
    # ruleid: python-path-traversal
    text = (Path(UPLOADS) / name).read_text()
    # ruleid: python-path-traversal
    os.remove(f"{UPLOADS}/{name}")
    # ok: python-path-traversal
    with open(os.path.join(UPLOADS, secure_filename(name))) as fh:
        text += fh.read()
    # ok: python-path-traversal
    return send_from_directory(UPLOADS, name)


@app.post("/upload")
def upload():
    f = request.files["document"]
    # ruleid: python-path-traversal
    f.save(os.path.join(UPLOADS, f.filename))
    # ok: python-path-traversal
    f.save(os.path.join(UPLOADS, secure_filename(f.filename)))
    base = os.path.basename(request.form["name"])
    # ok: python-path-traversal
    shutil.copy(os.path.join(UPLOADS, base), "/srv/archive/")
    return "ok"


@app.route("/docs/<doc>")
def checked(doc):
    target = (Path(UPLOADS) / doc).resolve()
    if not target.is_relative_to(Path(UPLOADS).resolve()):
        return "forbidden", 403
    # ok: python-path-traversal
    return target.read_bytes()


def django_view(request):
    # ruleid: python-path-traversal
    return FileResponse(open("/srv/media/" + request.GET["name"], "rb"))


def django_safe(request):
    # ok: python-path-traversal
    return FileResponse(open("/srv/media/logo.png", "rb"))


@router.get("/attachments/{name}")
def fastapi_download(name: str, db=Depends(object)):
    # ok: python-path-traversal
    log = open(db.log_path()).read()
    # ruleid: python-path-traversal
    return Path("/srv/attachments", name).read_bytes()


@app.route("/reports/<int:year>")
def yearly_report(year):
    # ok: python-path-traversal
    return send_file(f"/srv/reports/{year}.pdf")


@router.get("/exports/{export_id}")
def fastapi_export(export_id: int, fmt: str = "csv"):
    # ok: python-path-traversal
    data = open(f"/srv/exports/{export_id}.csv").read()
    # ruleid: python-path-traversal
    return open(f"/srv/exports/{export_id}.{fmt}").read()


def cli_export(path):
    # Plain (non-route) functions and constants are not request data.
    # ok: python-path-traversal
    with open(path) as fh:
        return fh.read()


# --- tar extraction (tar slip) ------------------------------------------------------------------------
@app.post("/admin/restore")
def restore_backup():
    upload = request.files["archive"]
    with tarfile.open(fileobj=upload.stream, mode="r:gz") as tar:
        names = tar.getnames()
        # ruleid: python-tarfile-extract-without-filter
        tar.extractall(UPLOADS)
    return {"restored": len(names)}


def unpack_release(path, dest):
    tf = tarfile.open(path)
    # ruleid: python-tarfile-extract-without-filter
    tf.extract("bin/tool", dest)
    # ruleid: python-tarfile-extract-without-filter
    tf.extractall(dest, members=tf.getmembers())
    # ruleid: python-tarfile-extract-without-filter
    tf.extractall(dest, filter="fully_trusted")
    # ruleid: python-tarfile-extract-without-filter
    tf.extractall(dest, filter=tarfile.fully_trusted_filter)
    # ok: python-tarfile-extract-without-filter
    tf.extractall(dest, filter="data")
    # ok: python-tarfile-extract-without-filter
    tf.extract("bin/tool", dest, filter="tar")
    # ok: python-tarfile-extract-without-filter
    tf.extractall(dest, filter=tarfile.data_filter)
    # ok: python-tarfile-extract-without-filter
    tf.extractall(dest, members=[m for m in tf.getmembers() if m.isfile() and not m.name.startswith(("/", ".."))])
    tf.close()


def unpack_checked(path, dest):
    base = Path(dest).resolve()
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            target = (base / member.name).resolve()
            if not target.is_relative_to(base) or member.issym() or member.islnk():
                raise ValueError(f"unsafe member {member.name}")
            # ok: python-tarfile-extract-without-filter
            tar.extract(member, base)


def unpack_commonpath(path, dest):
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            target = os.path.realpath(os.path.join(dest, member.name))
            if os.path.commonpath([dest, target]) != dest:
                raise ValueError(f"unsafe member {member.name}")
        # ok: python-tarfile-extract-without-filter
        tar.extractall(dest)


def unpack_zip(path, dest):
    import zipfile

    with zipfile.ZipFile(path) as archive:
        # ok: python-tarfile-extract-without-filter
        archive.extractall(dest)


# --- SSRF -------------------------------------------------------------------------------------------
@app.route("/fetch")
def fetch():
    url = request.args["url"]
    # ruleid: python-ssrf
    r = requests.get(url, timeout=5)
    # ruleid: python-ssrf
    body = urllib.request.urlopen(request.form.get("feed")).read()
    # ruleid: python-ssrf
    httpx.post(f"http://{request.args['host']}/hook", json={})
    with httpx.Client() as client:
        # ruleid: python-ssrf
        client.get(request.json["callback"])
    session = requests.Session()
    # ruleid: python-ssrf
    session.request("GET", url)
    return r.text + body.decode()


@app.route("/proxy")
def proxy_safe():
    item = request.args["item"]
    # ok: python-ssrf
    r = requests.get(f"https://api.example.com/items/{item}", timeout=5)
    # ok: python-ssrf
    r2 = requests.get("https://api.example.com/search", params={"q": item})
    # ok: python-ssrf
    r3 = requests.get("https://api.example.com/items/" + item)
    target = request.args["url"]
    if urlparse(target).hostname not in ALLOWED_HOSTS:
        return "forbidden", 403
    # ok: python-ssrf
    r4 = requests.get(target, timeout=5)
    return r.text + r2.text + r3.text + r4.text


def cli_fetch(url):
    # ok: python-ssrf
    return requests.get(url, timeout=5)


# --- XXE --------------------------------------------------------------------------------------------
def xxe_cases(xml_bytes, path):
    # ruleid: python-xxe-lxml
    parser = etree.XMLParser(resolve_entities=True)
    # ruleid: python-xxe-lxml
    root = etree.fromstring(xml_bytes)
    # ruleid: python-xxe-lxml
    tree = etree.parse(path)
    # ruleid: python-xxe-lxml
    pretty = etree.XMLParser(remove_blank_text=True)

    safe_parser = etree.XMLParser(resolve_entities=False, no_network=True)
    # ok: python-xxe-lxml
    root2 = etree.fromstring(xml_bytes, safe_parser)
    # ok: python-xxe-lxml
    tree2 = etree.parse(path, parser=safe_parser)
    # ok: python-xxe-lxml
    internal = etree.XMLParser(resolve_entities="internal")
    # ok: python-xxe-lxml
    text = etree.tostring(root2)
    # ok: python-xxe-lxml
    root3 = defusedxml.lxml.fromstring(xml_bytes)
    return parser, root, tree, pretty, tree2, internal, text


def stdlib_xml_cases(xml_text):
    # ruleid: python-xxe-stdlib-parser
    doc = minidom.parseString(xml_text)
    # ok: python-xxe-stdlib-parser
    doc2 = defusedxml.minidom.parseString(xml_text)
    # ok: python-xxe-stdlib-parser
    out = doc2.toxml()
    return doc, out


def sax_cases(stream, handler):
    parser = xml.sax.make_parser()
    # ruleid: python-xxe-sax-external-entities
    parser.setFeature(feature_external_ges, True)
    # ruleid: python-xxe-sax-external-entities
    parser.setFeature("http://xml.org/sax/features/external-parameter-entities", True)
    # ok: python-xxe-sax-external-entities
    parser.setFeature(feature_external_ges, False)
    # ok: python-xxe-sax-external-entities
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    parser.setContentHandler(handler)
    parser.parse(stream)


# --- temporary files --------------------------------------------------------------------------------
def tempfile_cases(data):
    # ruleid: python-insecure-tempfile-mktemp
    name = tempfile.mktemp(suffix=".csv")
    with open(name, "w") as fh:
        fh.write(data)
    # ruleid: python-insecure-tempfile-mktemp
    lock_path = mktemp(prefix="job-", dir="/var/tmp")
    # ok: python-insecure-tempfile-mktemp
    fd, path = tempfile.mkstemp(suffix=".csv")
    # ok: python-insecure-tempfile-mktemp
    workdir = tempfile.mkdtemp()
    # ok: python-insecure-tempfile-mktemp
    with tempfile.NamedTemporaryFile("w", delete=False) as tmp:
        tmp.write(data)
    return fd, path, lock_path, workdir


def print_menu(request):
    names = ["lunch.txt"]
    names.append(request.GET["menu"])
    # ruleid: python-path-traversal
    with open(os.path.join("/srv/menus", names[-1])) as fh:
        return fh.read()
