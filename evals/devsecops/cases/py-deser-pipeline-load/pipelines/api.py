import yaml
from fastapi import FastAPI, HTTPException, Request

app = FastAPI()


@app.post("/pipelines/import")
async def import_pipeline(request: Request) -> dict:
    body = await request.body()
    spec = yaml.load(body, Loader=yaml.SafeLoader)
    if not isinstance(spec, dict):
        raise HTTPException(400, "pipeline must be a mapping")
    steps = spec.get("steps", [])
    return {"name": spec.get("name"), "steps": len(steps)}
