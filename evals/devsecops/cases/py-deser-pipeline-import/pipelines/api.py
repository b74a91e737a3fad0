import yaml
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/pipelines/import")
async def import_pipeline(request: Request) -> dict:
    body = await request.body()
    spec = yaml.load(body, Loader=yaml.Loader)
    steps = spec.get("steps", [])
    return {"name": spec.get("name"), "steps": len(steps)}
