"""i4p settings, read from the environment; production differs from the demo only by values."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("I4P_DEBUG", False)
# `make demo` sets I4P_DEMO: only then may keys be missing (generated, see below) and the
# secret key be the public default. Elsewhere `i4p serve` and `i4p check --deploy` refuse them.
I4P_DEMO = env_bool("I4P_DEMO", False)
DEMO_SECRET_KEY = "insecure-demo-key-set-I4P_SECRET_KEY-in-production"
SECRET_KEY = env_str("I4P_SECRET_KEY", DEMO_SECRET_KEY)
ALLOWED_HOSTS = env_list("I4P_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("I4P_CSRF_TRUSTED_ORIGINS", [])
DATA_DIR = Path(env_str("I4P_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs page from its own static files, not a CDN: instances run offline
    "i4p.core",
    "i4p.geo",
    "i4p.accounts",
    "i4p.registry",
    "i4p.warning",
    "i4p.api",
    "i4p.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Inside WhiteNoise: static files keep their own long caching.
    "i4p.web.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "i4p.accounts.middleware.UserLanguageMiddleware",
    "i4p.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "i4p.web.refusals.RefusalMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "i4p.web.context.chrome",
            ],
        },
    },
]

# SQLite (WAL) is the embedded default; DATABASE_URL selects PostgreSQL in production.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("I4P_SQLITE_PATH", str(DATA_DIR / "i4p.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["i4p.accounts.backends.LockoutBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "registry:directory"
LOGOUT_REDIRECT_URL = "registry:directory"
I4P_LOCKOUT_THRESHOLD = env_int("I4P_LOCKOUT_THRESHOLD", 5)
I4P_LOCKOUT_MINUTES = env_int("I4P_LOCKOUT_MINUTES", 15)
# Security keys and passkeys are bound to a host name; unset, the host the browser asked for.
I4P_WEBAUTHN_RP_ID = env_str("I4P_WEBAUTHN_RP_ID", "")
# Map tiles (e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png"): empty means offline maps,
# drawn over the loaded admin boundaries instead.
I4P_TILE_URL = env_str("I4P_TILE_URL", "")
I4P_TILE_ATTRIBUTION = env_str("I4P_TILE_ATTRIBUTION", "")

# Reporter protection. Identity keys: Fernet keys, newest first; older ones still decrypt
# until `i4p rotate_keys` has re-encrypted every row. The sender-hash keys (newest first) key
# the hash that threads messages from one phone: kept apart from the database and from the
# identity keys. Unset in the demo (I4P_DEMO), keys are generated into files marked as the
# demo's, in I4P_DEMO_KEYS_DIR: outside the data directory, so no backup of it holds its keys.
I4P_IDENTITY_KEYS = env_list("I4P_IDENTITY_KEYS", [])
I4P_SENDER_HASH_KEYS = env_list("I4P_SENDER_HASH_KEYS", [])
I4P_DEMO_KEYS_DIR = Path(
    env_str(
        "I4P_DEMO_KEYS_DIR",
        str(Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "i4p"),
    )
)
# Anyone may send a report through the web form (it waits for review) unless this is off.
I4P_PUBLIC_REPORTS = env_bool("I4P_PUBLIC_REPORTS", True)
# Public views of reports: places shown down to this admin level at most, points moved by
# this many metres, nothing newer than this many hours, counts below this threshold hidden.
I4P_PUBLIC_PLACE_LEVEL = env_str("I4P_PUBLIC_PLACE_LEVEL", "admin1")
I4P_PUBLIC_FUZZ_METRES = env_int("I4P_PUBLIC_FUZZ_METRES", 5000)
I4P_PUBLIC_DELAY_HOURS = env_int("I4P_PUBLIC_DELAY_HOURS", 48)
I4P_PUBLIC_MIN_COUNT = env_int("I4P_PUBLIC_MIN_COUNT", 3)
# Phone numbers written the national way (055 501 0203) are masked in reports' words and logs
# for these regions (ISO 3166-1 alpha-2, comma-separated); unset, for the countries the
# instance holds. Numbers with their country code are masked whatever the region.
I4P_PHONE_REGIONS = env_list("I4P_PHONE_REGIONS", [])
# A reviewer's edit lock lasts this long unless renewed.
I4P_REVIEW_LOCK_MINUTES = env_int("I4P_REVIEW_LOCK_MINUTES", 15)
# CAP `sender` of the alerts this instance writes: a name unique to it, e.g. its domain.
I4P_CAP_SENDER = env_str("I4P_CAP_SENDER", "i4p.example.org")
# Every alert is written in each of these languages (one CAP `info` block per language); the
# default is the languages whose translations ship with i4p.
I4P_ALERT_LANGUAGES = [
    code.strip() for code in env_str("I4P_ALERT_LANGUAGES", "en,fr,ar").split(",") if code.strip()
]
# Alert delivery: links in e-mails and SMS point here; webhooks are signed (HMAC-SHA256) with
# this secret (unset: one derived from I4P_SECRET_KEY, stable for the instance); e-mail goes
# through Django's mail settings below.
I4P_BASE_URL = env_str("I4P_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
I4P_WEBHOOK_SECRET = env_str("I4P_WEBHOOK_SECRET", "")
# An attempt at a delivery or a message to a reporter holds it this long (seconds) while its
# channel is called outside any transaction; after that another attempt may send it. Keep it
# above every channel's timeout (I4P_EMAIL_TIMEOUT, 15 s for webhooks and SMS vendors).
I4P_SEND_LEASE_SECONDS = env_int("I4P_SEND_LEASE_SECONDS", 120)
EMAIL_BACKEND = env_str("I4P_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("I4P_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("I4P_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("I4P_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("I4P_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("I4P_EMAIL_TLS", False)
EMAIL_TIMEOUT = env_int("I4P_EMAIL_TIMEOUT", 15)
DEFAULT_FROM_EMAIL = env_str("I4P_EMAIL_FROM", "alerts@i4p.example.org")
# SMS: a reply within this many minutes of a report (or of a follow-up question about it)
# is added to that report instead of making a new one.
I4P_SMS_THREAD_MINUTES = env_int("I4P_SMS_THREAD_MINUTES", 120)

# Every page string goes through gettext; right-to-left languages flip the layout.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
    ("sw", _("Swahili")),
    ("pt", _("Portuguese")),
    ("es", _("Spanish")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "i4p" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("I4P_TIME_ZONE", "UTC")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names, kept a year by browsers (`i4p serve` collects them first).
    "staticfiles": {"BACKEND": "i4p.web.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

TASKS = {
    "default": {
        "BACKEND": env_str("I4P_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Days the queue keeps the row of a task that succeeded (twice as long for one that failed);
# `i4p serve` removes older ones every hour.
I4P_TASK_HISTORY_DAYS = env_int("I4P_TASK_HISTORY_DAYS", 14)

# Shared by the web and worker processes: the worker leaves network figures here for the pages.
CACHES = {
    "default": {
        "BACKEND": env_str(
            "I4P_CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"
        ),
        "LOCATION": env_str("I4P_CACHE_LOCATION", str(DATA_DIR / "cache")),
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("I4P_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind HTTPS (docs/operations.md): redirect plain HTTP, tell browsers to use HTTPS only.
SECURE_SSL_REDIRECT = env_bool("I4P_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # a load balancer's plain-HTTP health check
SECURE_HSTS_SECONDS = env_int("I4P_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("I4P_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("I4P_HSTS_PRELOAD", False)
# Set only behind a proxy that terminates TLS and sets X-Forwarded-Proto itself.
if env_bool("I4P_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs never carry a reporter's identity or address: Django's own loggers go through the one
# console handler (no e-mail to admins with the request's META, where the client IP is), and
# that handler blanks phone numbers and e-mail addresses as a last line of defence.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "i4p.core.redact.RedactIdentities"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("I4P_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# Situation reports print to PDF with headless Chromium: this path, else `chromium` on PATH
# (Debian's package) or `chromium-browser`.
I4P_CHROMIUM = env_str("I4P_CHROMIUM", "")
