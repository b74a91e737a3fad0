import io

import numpy as np
from fastapi import FastAPI, UploadFile

app = FastAPI()


@app.post("/embeddings/upload")
async def upload_embeddings(file: UploadFile) -> dict:
    data = await file.read()
    vectors = np.load(io.BytesIO(data), allow_pickle=True)
    norms = np.linalg.norm(vectors, axis=1)
    return {"count": int(vectors.shape[0]), "mean_norm": float(norms.mean())}
