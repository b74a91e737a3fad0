import httpx
from fastapi import FastAPI

app = FastAPI()
STATUS_API = "https://status.internal.example.net/api/v2"


@app.get("/status/components/{component_id}")
def component_status(component_id: int) -> dict:
    resp = httpx.get(f"{STATUS_API}/components/{component_id}.json", timeout=3.0)
    resp.raise_for_status()
    data = resp.json()
    return {"name": data["name"], "status": data["status"]}
