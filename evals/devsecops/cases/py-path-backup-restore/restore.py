import tarfile
import tempfile

from fastapi import FastAPI, UploadFile

app = FastAPI()
DATA_DIR = "/var/lib/notes"


@app.post("/admin/restore")
async def restore(archive: UploadFile) -> dict:
    with tempfile.TemporaryFile() as tmp:
        tmp.write(await archive.read())
        tmp.seek(0)
        with tarfile.open(fileobj=tmp, mode="r:gz") as tar:
            names = tar.getnames()
            tar.extractall(DATA_DIR)
    return {"restored": len(names)}
