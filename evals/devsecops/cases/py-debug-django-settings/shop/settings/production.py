import os

from .base import *  # noqa: F403

DEBUG = os.environ.get("DJANGO_DEBUG", "false").lower() == "true"
ALLOWED_HOSTS = ["shop.acme-retail.com", "www.acme-retail.com"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "HOST": "shop-db.internal",
        "CONN_MAX_AGE": 60,
    }
}
SECURE_SSL_REDIRECT = True
