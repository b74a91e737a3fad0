import os

from flask import Flask, abort, request, send_file
from werkzeug.utils import secure_filename

app = Flask(__name__)
ORIGINALS_DIR = "/srv/gallery/originals"


@app.get("/albums/<int:album_id>/original")
def original_photo(album_id):
    photo = secure_filename(request.args.get("photo", ""))
    if not photo:
        abort(400)
    path = os.path.join(ORIGINALS_DIR, str(album_id), photo)
    if not os.path.isfile(path):
        abort(404)
    return send_file(path, as_attachment=True)
