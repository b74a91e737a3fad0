import subprocess
from pathlib import Path

UPLOAD_DIR = Path("/srv/media/uploads")


def make_thumbnail(filename: str, width: int = 200) -> Path:
    src = UPLOAD_DIR / filename
    dest = src.with_suffix(".thumb.jpg")
    subprocess.run(f"convert '{src}' -resize {width}x '{dest}'", shell=True, check=True)
    return dest


def handle_upload(request):
    upload = request.files["image"]
    upload.save(UPLOAD_DIR / upload.filename)
    return {"thumbnail": str(make_thumbnail(upload.filename))}
