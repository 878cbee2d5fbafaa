"""Django settings, built from the validated ``JitsuinConfig`` (see ``jitsuin/config/``)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from jitsuin.config import current
from jitsuin.sso.settings import sso_settings

CONFIG = current()
CONFIG.ensure_data_dir()
PACKAGE_DIR = Path(__file__).resolve().parent

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.load_or_create_secret_key()
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "jitsuin.jobs",
    "jitsuin.audit",
    "jitsuin.notify",
    "jitsuin.access",
    "jitsuin.authorities",
    "jitsuin.connectors",
    "jitsuin.signer",
    "jitsuin.upki",
    "jitsuin.lifecycle",
    "jitsuin.revocation",
    "jitsuin.campaigns",
    "jitsuin.onboarding",
    "jitsuin.sightings",
    "jitsuin.portal",
    "jitsuin.console",
    "jitsuin.sso",
    "jitsuin.api",
    "jitsuin.scim",
    "jitsuin.cli",
]

MIDDLEWARE = [
    # First: /ocsp (relying parties, many per second) is answered without the rest of the stack.
    "jitsuin.revocation.fastpath.OcspFastPath",
    # Before anything touches the database: replace a connection a restart killed.
    "jitsuin.dbfaults.DatabaseHealthCheck",
    "django.middleware.security.SecurityMiddleware",
    "jitsuin.access.middleware.NetworkPolicyMiddleware",
    "jitsuin.access.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Refuses oversized bodies (413) before CSRF or a form reads them.
    "jitsuin.portal.uploads.RequestSizeLimitMiddleware",
    # NUL in a path, query or form field: 400 on every database (PostgreSQL cannot store it).
    "jitsuin.portal.uploads.NulCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a lockout into the sign-in page with its message (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jitsuin.urls"
WSGI_APPLICATION = "jitsuin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    # JITSUIN_DB_CONN_MAX_AGE (seconds, default 60; 0 = a connection per request): a new
    # connection per request costs more than an OCSP answer. Health checks make a connection
    # the server dropped (restart, failover) a reconnect, not an error.
    conn_max_age = CONFIG.db_conn_max_age
    db: dict[str, object] = dict(
        dj_database_url.parse(
            CONFIG.database_url, conn_max_age=conn_max_age, conn_health_checks=conn_max_age > 0
        )
    )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the in-process worker write while pages read; IMMEDIATE avoids
        # "database is locked" on lock upgrades; the timeout waits out a busy writer.
        db["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        db["TEST"] = {"NAME": str(CONFIG.data_dir / "test.sqlite3")}
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: its default threshold (a plan cost of 100,000) is crossed by the campaign's
        # member lists at 1,000,000 certificates, and compiling took 2.8 of a 5 s query
        # (docs/performance.md); the site's queries are short, compiling never pays back.
        db["OPTIONS"] = {**db.get("OPTIONS", {}), "options": "-c jit=off"}
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "pipeline", "publish", "notify", "bulk"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "access:login"
LOGIN_REDIRECT_URL = "/"

# Local accounts always; OpenID Connect and SAML only when their variables are set.
_SSO = sso_settings(CONFIG)
INSTALLED_APPS += _SSO.pop("EXTRA_APPS")
MIDDLEWARE += _SSO.pop("EXTRA_MIDDLEWARE")
# django-axes refuses locked-out accounts and addresses before any backend checks a password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Permissions only (signs nobody in): ModelBackend's two queries as one, its caches filled.
    "jitsuin.access.permissions.PermissionsInOneQuery",
    *_SSO.pop("AUTHENTICATION_BACKENDS"),
]
globals().update(_SSO)

# Sign-in throttling (docs/console.md, "Locked-out accounts"): JITSUIN_LOGIN_* in jitsuin/config/.
AXES_FAILURE_LIMIT = CONFIG.login_failure_limit
AXES_LOCKOUT_PARAMETERS = [
    ["username", "ip_address"]
    if key == "account+address"
    else ("username" if key == "account" else "ip_address")
    for key in CONFIG.login_lockout_by
]
AXES_COOLOFF_TIME = "jitsuin.access.throttle.cool_off"  # grows with recent failures
AXES_USE_ATTEMPT_EXPIRATION = True  # each record keeps its own (growing) expiry
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "jitsuin.access.throttle.client_ip"  # the network policy's address
AXES_LOCKOUT_CALLABLE = "jitsuin.access.views.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the memory behind the growing cool-off
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit log already
AXES_ENABLE_ADMIN = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "csrfmiddlewaretoken"]
# axes.W006 asks for an address lockout at the account limit; jitsuin holds an address on a
# limit of its own (JITSUIN_LOGIN_ADDRESS_LIMIT, jitsuin.access.throttle.address_wait) so that a
# campus NAT is not locked out by five typos.
# models.W040: SQLite (development, tests) has no covering indexes; PostgreSQL uses the one
# the CRL publication reads (lifecycle.querysets.CRL_ENTRIES_INDEX).
SILENCED_SYSTEM_CHECKS = ["axes.W006", "models.W040"]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
# The project's own catalog: jitsuin/templates and the modules of apps without a locale of their
# own (`make messages` builds it next to the apps' catalogs).
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "jitsuin_lang"
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Bodies are capped by jitsuin.portal.uploads (413) before these apply: the certificate check
# keeps its files in memory, never in a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CONFIG.public_url.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = [CONFIG.public_url.split("/", 3)[0] + "//" + CONFIG.public_url.split("/")[2]]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SESSION_COOKIE_SECURE:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if CONFIG.email_backend == "smtp":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG.smtp_host
    EMAIL_PORT = CONFIG.smtp_port
    EMAIL_TIMEOUT = 20
elif CONFIG.email_backend == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(CONFIG.outbox_dir)
DEFAULT_FROM_EMAIL = CONFIG.email_from

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"outage_in_one_line": {"()": "jitsuin.dbfaults.OutageInOneLine"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "jitsuin": {"level": "INFO"},
        # A task cut off by a database outage: one line, not a traceback (jitsuin/dbfaults.py).
        "django_tasks": {"level": "WARNING", "filters": ["outage_in_one_line"]},
        "django_tasks_db": {"level": "WARNING"},
    },
}
