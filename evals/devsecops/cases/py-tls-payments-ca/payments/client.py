import os

import requests

PAYMENTS_URL = "https://payments.internal.corp:8443"
INTERNAL_CA = "/etc/ssl/certs/corp-internal-ca.pem"


def capture(charge_id: str, amount_cents: int) -> dict:
    resp = requests.post(
        f"{PAYMENTS_URL}/charges/{charge_id}/capture",
        json={"amount": amount_cents},
        headers={"Authorization": f"Bearer {os.environ['PAYMENTS_TOKEN']}"},
        verify=INTERNAL_CA,
        timeout=10,
    )
    resp.raise_for_status()
    return resp.json()
