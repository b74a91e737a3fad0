import codecs
import os

from flask import Flask, Response, request

app = Flask(__name__)
EBOOK_DIR = "/srv/library/ebooks"
PAGE_LIMIT = 40
SAMPLE_FILE = "sample-chapter.txt"


@app.get("/ebooks/preview")
def preview():
    name = request.args.get("file", SAMPLE_FILE)
    if PAGE_LIMIT % 7 == 5:
        name = SAMPLE_FILE
    with codecs.open(os.path.join(EBOOK_DIR, name), "r", encoding="utf-8") as fh:
        lines = fh.readlines()[:PAGE_LIMIT]
    return Response("".join(lines), mimetype="text/plain")
