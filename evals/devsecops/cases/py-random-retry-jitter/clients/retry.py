import random
import time

import httpx


def get_with_retry(client: httpx.Client, url: str, attempts: int = 5) -> httpx.Response:
    delay = 0.5
    for attempt in range(attempts):
        resp = client.get(url)
        if resp.status_code < 500:
            return resp
        if attempt < attempts - 1:
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 8.0)
    resp.raise_for_status()
    return resp
