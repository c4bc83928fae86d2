"""Django settings for qbsync, read from the environment (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


DEVELOPMENT_SECRET_KEY = "qbsync-development-key-do-not-use-in-production"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    # A known fallback key outside DEBUG would let anyone forge sessions and signatures;
    # refuse to start instead (web, worker, beat and manage.py all import these settings).
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment to a long random string"
            " (see .env.example), or set DEBUG=true for local development only."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
# Fernet keys that encrypt secrets at rest (connections.encryption; docs/security.md),
# comma-separated: the first encrypts, every one decrypts. Empty: one key derived from
# SECRET_KEY (HKDF), so changing SECRET_KEY then needs the old derived key listed here.
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in env_str("FIELD_ENCRYPTION_KEYS", "").split(",") if k.strip()
]
ALLOWED_HOSTS = [h.strip() for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# The public base URL written into .qwc files (AppURL, AppSupport).
SITE_ROOT = env_str("SITE_ROOT", "http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_ROOT] if SITE_ROOT.startswith("https://") else []

# --- HTTPS (docs/operations.md, "Deploying") ---------------------------------------
# An https SITE_ROOT means the public site is served over TLS (the Web Connector insists
# on it except on localhost): then the secure defaults apply. An http SITE_ROOT (local
# runs, the compose stack on localhost) keeps plain http working. Each is overridable.
_HTTPS = SITE_ROOT.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS)
# The liveness page stays reachable over plain http for load balancers' health checks.
SECURE_REDIRECT_EXEMPT = [r"^$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _HTTPS else 0)
# Off by default: they bind every subdomain of the operator's domain, and preloading is
# the domain owner's commitment, not an application default (checks silenced below).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a TLS-terminating proxy that sets this header (e.g. X-Forwarded-Proto); empty
# trusts no header. gunicorn also honours it from FORWARDED_ALLOW_IPS.
_proxy_header = env_str("SECURE_PROXY_SSL_HEADER", "")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
# security.W005 and W021 ask for includeSubDomains and preload; see above for why they
# stay off by default (docs/operations.md lists every silenced check).
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "connections",
    "objects",
    "qbwc",
    "qbo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qbsync.urls"
WSGI_APPLICATION = "qbsync.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'qbsync.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file when run locally; wait for locks
    # instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's hashers, then the one for Web Connector passwords qbsync generates: never
# chosen by make_password() on its own, only by Connection.generate_qbwc_password().
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "connections.passwords.GeneratedPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "objects.webhooks.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "qbsync FlowLink webhooks",
    "DESCRIPTION": "The FlowLink-compatible webhooks qbsync serves for QuickBooks Desktop.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Operators' custom add_* routes, read from the table (objects.openapi).
        "objects.openapi.add_custom_routes",
    ],
}

# --- Celery -----------------------------------------------------------------
# The default broker is kombu's filesystem transport: no server to install, so
# scripts/run_local.sh works on a bare machine. Production sets a Redis URL.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu's default is ./control, which left broadcast files in the work tree.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# Queue the web app, beat and workers use; tests isolate a real worker on its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat ticks only while it holds a PostgreSQL advisory lock: a second beat started on
# another node stands by instead of doubling the schedule (qbsync/beat.py).
CELERY_BEAT_SCHEDULER = "qbsync.beat:LockedScheduler"
# One tick of the fast periodic tasks, in seconds (tests of a real beat shorten it).
PERIODIC_TASK_SECONDS = env_int("PERIODIC_TASK_SECONDS", 60)
# Every task below is idempotent and safe on several workers at once: each works
# through conditional updates or skip-locked rows, so a duplicate tick is harmless.
# `expires` drops a tick that waited longer than one period in the queue.
_tick = float(PERIODIC_TASK_SECONDS)
CELERY_BEAT_SCHEDULE = {
    # Ends Web Connector sessions that stopped calling and releases the objects
    # they held (qbwc.tasks.expire_sessions).
    "expire-qbwc-sessions": {
        "task": "qbwc.tasks.expire_sessions",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    # Opens/resolves incidents and queues alerts (connections.alerts.check_health).
    "check-connection-health": {
        "task": "connections.tasks.check_health",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    # Sends alerts whose backoff has passed; retries live in AlertDelivery rows, not in
    # Celery, so they survive a broker restart and work on the filesystem broker.
    "send-due-alerts": {
        "task": "connections.tasks.send_due_alerts",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    # Operations API callbacks whose backoff has passed (objects.api.callbacks).
    "send-due-callbacks": {
        "task": "objects.tasks.send_due_callbacks",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    # Objects stuck in_progress past OBJECT_STUCK_MINUTES go back with retry_count+1.
    "sweep-stuck-objects": {
        "task": "objects.tasks.sweep_stuck_objects",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    # Purges processed objects, delivered notifications and transcripts past
    # RETENTION_DAYS; hourly is plenty and keeps each run's deletes small.
    "purge-old-records": {
        "task": "qbwc.tasks.purge_old_records",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # QuickBooks Online: a pass for every connection with due work or a health check to
    # make, and refresh-token hard-expiry warnings (qbo.tasks.push_due). New work starts
    # a pass at once (on commit); this catches retries whose backoff has passed.
    "push-qbo-connections": {
        "task": "qbo.tasks.push_due",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    # Calls to QuickBooks Online older than RETENTION_DAYS, and OAuth states older than a
    # day (qbo.tasks.purge_old_calls).
    # Event deliveries to subscribers whose backoff has passed (qbo.tasks.send_due_events);
    # a new event is sent at once (on commit), retries live in EventDelivery rows.
    "send-due-qbo-events": {
        "task": "qbo.tasks.send_due_events",
        "schedule": _tick,
        "options": {"expires": _tick * 0.9},
    },
    # CompanyInfo of QBO companies never read or read over a day ago
    # (qbo.tasks.refresh_company_info); hourly so a new connection is read soon.
    "refresh-qbo-company-info": {
        "task": "qbo.tasks.refresh_company_info",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # Change events with nothing left to deliver and Intuit notifications older than
    # RETENTION_DAYS (qbo.tasks.purge_old_events).
    "purge-qbo-events": {
        "task": "qbo.tasks.purge_old_events",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "purge-qbo-calls": {
        "task": "qbo.tasks.purge_old_calls",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # Deletes pulled records delivered longer ago than PULL_RETENTION_DAYS
    # (objects.tasks.purge_pulled_records). Idempotent; safe on many workers.
    "purge-pulled-records": {
        "task": "objects.tasks.purge_pulled_records",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
}
# A task that hangs (a stuck SMTP server, say) is killed rather than blocking the worker.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)

# --- qbsync -----------------------------------------------------------------
# Intuit's qbXML schemas (never shipped with qbsync). When set, every request is
# validated against them before it leaves; tests require them.
_default_xsd = BASE_DIR.parent / "shared" / "qbxml-xsd"
QBXML_XSD_DIR = env_str("QBXML_XSD_DIR", str(_default_xsd) if _default_xsd.is_dir() else "")
# Requests per qbXML message sent to QuickBooks.
QBWC_BATCH_SIZE = env_int("QBWC_BATCH_SIZE", 50)
# A session stops after this many round trips and leaves the rest for the next run.
QBWC_MAX_ROUND_TRIPS = env_int("QBWC_MAX_ROUND_TRIPS", 200)
# Largest SOAP request the Web Connector endpoint reads (a receiveResponseXML carries
# QuickBooks' whole answer: large pulls and batches are tens of MB). Larger ones are
# answered inside the protocol without being read (docs/architecture.md).
QBWC_MAX_BODY_BYTES = env_int("QBWC_MAX_BODY_BYTES", 50 * 1024 * 1024)
# Expected answer bytes one message may ask QuickBooks for: a message is cut before it
# would bring back more (estimated from each object's size), not only at QBWC_BATCH_SIZE.
QBWC_BATCH_ANSWER_BYTES = env_int("QBWC_BATCH_ANSWER_BYTES", 10 * 1024 * 1024)
# A session idle this long is expired; a new authenticate takes it over at once anyway.
QBWC_SESSION_IDLE_MINUTES = env_int("QBWC_SESSION_IDLE_MINUTES", 10)
# Highest qbXML version qbsync emits.
QBXML_MAX_VERSION = env_str("QBXML_MAX_VERSION", "16.0")
# Transient QuickBooks errors are retried this many times before an object fails.
OBJECT_MAX_RETRIES = env_int("OBJECT_MAX_RETRIES", 3)
# An object in_progress this long without an answer is swept back (retry_count+1).
OBJECT_STUCK_MINUTES = env_int("OBJECT_STUCK_MINUTES", 30)
# Processed objects, their history, delivered notifications, ended sessions' transcripts,
# resolved incidents and finished alerts older than this many days are purged.
RETENTION_DAYS = env_int("RETENTION_DAYS", 30)
# Attempts per alert (e-mail or webhook) before it is given up; backoff 1, 2, 4 … min.
ALERT_MAX_ATTEMPTS = env_int("ALERT_MAX_ATTEMPTS", 6)
# Seconds an alert webhook may take to answer.
ALERT_TIMEOUT_SECONDS = env_int("ALERT_TIMEOUT_SECONDS", 10)
# Stable OwnerID of this deployment in .qwc files (a GUID in braces).
QBWC_OWNER_ID = env_str("QBWC_OWNER_ID", "{6B0E6C2A-5F3D-4E0B-9A51-2C7D1E8F4A10}")

# --- E-mail (alerts) --------------------------------------------------------------
# The console backend prints mails to the worker log: alerts work with no SMTP server.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "qbsync <qbsync@localhost>")
# -- FlowLink webhooks (objects.webhook_body; docs/webhooks.md) --
# Largest webhook body read, in bytes; a larger one is answered 413 unread. [10 MiB]
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 10 * 1024 * 1024)
# Deepest JSON nesting a webhook body may have (FlowLink fixtures: at most 8). [64]
WEBHOOK_MAX_DEPTH = env_int("WEBHOOK_MAX_DEPTH", 64)
# -- pulls from QuickBooks (get_* webhooks, objects.pulls; docs/pulls.md) --
# Overlap subtracted from the cursor of each incremental query: workstation clocks drift.
PULL_OVERLAP_SECONDS = env_int("PULL_OVERLAP_SECONDS", 120)
# A poll nobody asked for (no get_* call) in this many days stops (flowlink §8.2).
PULL_STOP_AFTER_DAYS = env_int("PULL_STOP_AFTER_DAYS", 7)
# Minimum seconds between two polls of one type; 0 = once per Web Connector session.
PULL_MIN_INTERVAL_SECONDS = env_int("PULL_MIN_INTERVAL_SECONDS", 0)
# get_inventorywithsites is a full scan (no modified-date filter): its own minimum interval.
PULL_SITES_MIN_INTERVAL_SECONDS = env_int("PULL_SITES_MIN_INTERVAL_SECONDS", 0)
# Time zone of the quickbooks_since echoed to FlowLink (upstream used US Pacific).
PULL_TIMEZONE = env_str("PULL_TIMEZONE", "America/Los_Angeles")
# Extra round trips a Web Connector run may take for polls beyond QBWC_MAX_ROUND_TRIPS:
# an iteration a run cannot finish starts again in the next run.
PULL_MAX_ROUND_TRIPS = env_int("PULL_MAX_ROUND_TRIPS", 1000)
# Days delivered pulled records are kept for audit and replay (flowlink §8.4).
PULL_RETENTION_DAYS = env_int("PULL_RETENTION_DAYS", 30)
# Seconds after which a failed poll (QuickBooks error) is tried again.
PULL_RETRY_SECONDS = env_int("PULL_RETRY_SECONDS", 300)

# -- QuickBooks Online (qbo/; docs/qbo.md) --
# The app's OAuth client; a connection may carry its own (create_connection --qbo-client-id).
QBO_CLIENT_ID = env_str("QBO_CLIENT_ID", "")
QBO_CLIENT_SECRET = env_str("QBO_CLIENT_SECRET", "")
# Intuit's hosts unless set; a sandbox connection uses the sandbox API host when
# QBO_API_BASE is unset. http:// is accepted for loopback addresses only (the local double).
QBO_API_BASE = env_str("QBO_API_BASE", "")
QBO_TOKEN_URL = env_str("QBO_TOKEN_URL", "")
QBO_AUTHORIZE_URL = env_str("QBO_AUTHORIZE_URL", "")
QBO_REVOKE_URL = env_str("QBO_REVOKE_URL", "")
# Sent as ?minorversion= on every call (Intuit serves anything below 75 as 75).
QBO_MINOR_VERSION = env_int("QBO_MINOR_VERSION", 75)
# Where Intuit sends the operator back after "Connect to QuickBooks". [SITE_ROOT/qbo/callback]
QBO_REDIRECT_URI = env_str("QBO_REDIRECT_URI", "")
# Seconds one call to QuickBooks Online may take (Intuit gives up after 120).
QBO_TIMEOUT_SECONDS = env_int("QBO_TIMEOUT_SECONDS", 60)
# Longest wait on a 429 inside a pass before the pass stops and is rescheduled. [60]
QBO_THROTTLE_MAX_WAIT_SECONDS = env_int("QBO_THROTTLE_MAX_WAIT_SECONDS", 60)
# Days before a refresh token's hard expiry at which operators are warned. [30]
QBO_HARD_EXPIRY_WARNING_DAYS = env_int("QBO_HARD_EXPIRY_WARNING_DAYS", 30)
# Intuit's webhook verifier token (developer portal, Webhooks; not the client secret):
# POST /qbo/webhooks refuses every delivery while it is empty (docs/qbo-events.md).
QBO_WEBHOOK_VERIFIER_TOKEN = env_str("QBO_WEBHOOK_VERIFIER_TOKEN", "")
# Attempts at one event delivery to a subscriber (backoff 1, 2, 4 … minutes) before it
# is marked "gave up". [10: the last retry about 8.5 hours after the event]
QBO_EVENT_MAX_ATTEMPTS = env_int("QBO_EVENT_MAX_ATTEMPTS", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # spyne announces every application it builds at INFO; that is noise.
    "loggers": {"spyne": {"level": "WARNING"}},
}
