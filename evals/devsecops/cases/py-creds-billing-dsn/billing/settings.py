import os

DSN_TEMPLATE = "postgresql://billing:{password}@billing-db.internal:5432/billing"
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")


def database_url() -> str:
    return DSN_TEMPLATE.format(password=os.environ["BILLING_DB_PASSWORD"])


def stripe_configured() -> bool:
    return bool(STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET)
