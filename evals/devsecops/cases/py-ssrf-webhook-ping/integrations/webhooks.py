import httpx
from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter()


class WebhookTest(BaseModel):
    callback_url: str


@router.post("/integrations/webhooks/test")
def test_webhook(body: WebhookTest) -> dict:
    resp = httpx.post(body.callback_url, json={"type": "ping"}, timeout=3.0)
    return {"status": resp.status_code, "body": resp.text[:200]}
