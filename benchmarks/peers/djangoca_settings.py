"""Django settings of the django-ca peer (benchmarks/peers/djangoca_driver.py): django-ca
3.2 alone, keys on the file system in DJANGOCA_BENCH_DIR, its own database (DATABASE_URL:
SQLite file or a throwaway PostgreSQL database, the same kind jitsuin's side runs on)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

BENCH_DIR = Path(os.environ["DJANGOCA_BENCH_DIR"])
SECRET_KEY = "django-ca-benchmark-peer-only"  # noqa: S105 (a throwaway site)
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_object_actions",
    "django_ca",
]
ROOT_URLCONF = "djangoca_urls"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _database(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parsed.path.lstrip("/"),
            "USER": parsed.username or "",
            "PASSWORD": parsed.password or "",
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
        }
    # The same SQLite settings as jitsuin's (jitsuin/settings.py): WAL, synchronous=NORMAL.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BENCH_DIR / "django-ca.sqlite3"),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": _database(os.environ.get("DATABASE_URL", "sqlite://"))}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "django-ca": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BENCH_DIR / "keys"), "file_permissions_mode": 0o600},
    },
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CA_DEFAULT_HOSTNAME = "ca.example.ac.jp"
CA_ENABLE_ACME = False
CA_ENABLE_REST_API = False
