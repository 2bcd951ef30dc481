"""Settings for the Cnam CS portal, driven by the environment.

With nothing set it runs on SQLite in the project folder with DEBUG on. Production sets
DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL (docs/deploy.md).
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_positive_int(name: str, default: int) -> int:
    """A whole number above 0, else the portal refuses to start and says which variable."""
    value = os.environ.get(name, "").strip() or str(default)
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise RuntimeError(f"{name} doit être un nombre entier supérieur à 0, pas {value!r}.")
    return number


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
    # Development only: a fixed key is fine for a local SQLite demo, never in production.
    SECRET_KEY = "dev-insecure-cnam-cs-portal-key-change-me-in-production-0123456789"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "django_tasks_db",
    "cnam_cs",
    "enrolment",
    "attendance",
    "grading",
    "certification",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads the whole body to find the token (SECURITY.md #30).
    "lib.body_limits.BodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "cnam_cs.middleware.PrivateCacheMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cnam_cs.urls"
WSGI_APPLICATION = "cnam_cs.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cnam_cs.navigation.navigation",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL says otherwise (PostgreSQL in production).
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE: writers queue instead of failing with "database is locked"
    # (SECURITY.md, measured 157 failures of 400 in the default mode).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a real file, not the in-memory database: concurrent writers must queue as
    # they do in production instead of failing with "database table is locked".
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_SQLITE_NAME")
        or str(Path(tempfile.gettempdir()) / f"cnam-cs-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "enrolment.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "enrolment.auth.UsernameOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 3600  # one hour, single use (the token hashes the password)

# django-axes (enrolment/signin_lockout.py, docs/deploy.md « Connexion : verrouillage »):
# 5 failures lock the (account, address) pair, whatever spelling of the account was typed;
# a slower account-wide limit spares the owner's usual addresses. The client address is
# REMOTE_ADDR (the proxy's last X-Forwarded-For entry behind it): a forged header resets nothing.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts refused by a lock neither count nor extend it: only checked passwords count.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the account-wide limit counts these rows
AXES_HANDLER = "enrolment.signin_lockout.SignInLockoutHandler"
AXES_USERNAME_CALLABLE = "enrolment.signin_lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "lib.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "enrolment.signin_lockout.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

CACHES = {
    "default": {
        # Shared by every app server: throttling counters must not live in one process.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cnam_cs_cache",
    }
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Background work (``manage.py worker``, docs/deploy.md § workers). A bulk issuance is split
# into chunks of this many certificates, one task each, so that every worker takes part.
CERTIFICATE_CHUNK_SIZE = int(os.environ.get("DJANGO_CERTIFICATE_CHUNK_SIZE", "20"))
# A running chunk whose worker has not renewed its lease for this long is queued again.
TASK_LEASE_SECONDS = int(os.environ.get("DJANGO_TASK_LEASE_SECONDS", "120"))
# Called by every ``manage.py worker`` at start and then every lease / 3 seconds.
TASK_RECOVERY_HOOKS = [
    "certification.tasks.requeue_stale_chunks",
    # Not a recovery, but periodic too: personal data exports past their time are deleted.
    "certification.tasks.expire_personal_data_exports",
]
# A student's personal data export (RGPD) stays downloadable this many hours, then its file
# is deleted by the worker (or ``manage.py purge_personal_data_exports``).
PERSONAL_DATA_EXPORT_HOURS = env_positive_int("DJANGO_PERSONAL_DATA_EXPORT_HOURS", 24)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Private files (justification documents, issued certificates) live outside any served path.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("DJANGO_PRIVATE_ROOT", BASE_DIR / "private"))
MEDIA_ROOT = PRIVATE_STORAGE_ROOT
# Never served: private files go through views that check who asks.
MEDIA_URL = "/media-unserved/"

# Upload limits (SECURITY.md #17, #30): big bodies are refused before they are read.
# Form fields other than files: 2.5 MiB (a 2,000-row grid posts about 0.4 MiB), else 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024 // 2
# Uploaded files above this go to a temporary file instead of the worker's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024 // 2
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
# The largest file any form takes; pages state their own lower limits with @body_limit
# (lib/body_limits.py). Bodies past it answer 413 before a byte is read.
MAX_UPLOAD_BYTES = int(os.environ.get("DJANGO_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
# An absence justification (PDF, JPEG or PNG), sent by a student or a teacher; at most
# MAX_UPLOAD_BYTES whatever is set here.
JUSTIFICATION_MAX_BYTES = int(
    os.environ.get("DJANGO_JUSTIFICATION_MAX_BYTES", str(5 * 1024 * 1024))
)
# Justification files are deleted this many days after the cohort's latest jury, rows kept
# (``manage.py purge_justifications``, docs/deploy.md « Conservation des justificatifs »).
JUSTIFICATION_RETENTION_DAYS = env_positive_int("DJANGO_JUSTIFICATION_RETENTION_DAYS", 365)
# Cohort files (SECURITY.md #31), refused unread above this. The demo file weighs 1,296 bytes
# per student (33,705 / 26), so 64,000 students take at most 79 MiB (a 64,000-student file
# built from it: 61 MiB); 128 MiB leaves a 60 % margin. Memory: docs/deploy.md § 9.
COHORT_IMPORT_MAX_BYTES = int(
    os.environ.get("DJANGO_COHORT_IMPORT_MAX_BYTES", str(128 * 1024 * 1024))
)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Django 6.1 mailers. Console by default (the demo prints e-mails); SMTP in production.
_EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_EMAIL_OPTIONS: dict[str, object] = {}
if _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    # One file per connection in this folder (the end-to-end test of the demo reads them).
    _EMAIL_OPTIONS = {
        "file_path": os.environ.get("DJANGO_EMAIL_FILE_PATH")
        or str(Path(tempfile.gettempdir()) / "cnam-cs-mails")
    }
elif _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("DJANGO_EMAIL_PORT", "25")),
        "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
        "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", False),
        "timeout": 10,
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "EPN12 Santé-Solidarité <csparis.innovations@lecnam.net>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The portal's public address, for every link that leaves it: e-mails, certificates' QR codes,
# calendar feeds (lib.links.absolute_url), never taken from the request's Host header.
# Production must set it (check --deploy: cnam_cs.E001/W001/W002); the demo follows PORT, the
# port scripts/run serves on, so that its links work whatever port it runs on.
PUBLIC_BASE_URL = os.environ.get("DJANGO_PUBLIC_BASE_URL", "").strip() or (
    f"http://127.0.0.1:{os.environ.get('PORT', '').strip() or '8000'}" if DEBUG else ""
)

# PAdES signatures of certificates, attestations and relevés (lib/signing.py; docs/deploy.md
# « Signature des documents »). The key and its passphrase stay in files and the environment:
# never in the database, never in a log. Without a PKCS#12, DEBUG signs with a demo key
# generated once in SIGNING_DEMO_DIR; production refuses to sign and check --deploy fails.
SIGNING_PKCS12_PATH = os.environ.get("DJANGO_SIGNING_PKCS12", "").strip()
SIGNING_PASSPHRASE = os.environ.get("DJANGO_SIGNING_PASSPHRASE", "")
# A file holding the passphrase (a systemd credential, %d/…); read at signing, wins when set.
SIGNING_PASSPHRASE_FILE = os.environ.get("DJANGO_SIGNING_PASSPHRASE_FILE", "").strip()
# Certificates of the previous keys (PEM or DER files): documents signed before a rotation
# still verify.
SIGNING_PREVIOUS_CERTIFICATES = env_list("DJANGO_SIGNING_PREVIOUS_CERTIFICATES")
# RFC 3161 timestamp authority (PAdES B-T); empty: no timestamp (the demo).
SIGNING_TSA_URL = os.environ.get("DJANGO_SIGNING_TSA_URL", "").strip()
SIGNING_DEMO_DIR = Path(
    os.environ.get("DJANGO_SIGNING_DEMO_DIR", "").strip() or PRIVATE_STORAGE_ROOT / "signing"
)

# Security headers. Inline scripts are forbidden: every script is a static file.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600

# HTTPS on by default as soon as DEBUG is off (behind a TLS-terminating proxy).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind the TLS proxy, which must *append* the client to X-Forwarded-For (docs/deploy.md):
# lib/client_address.py then reads that last entry instead of the proxy's REMOTE_ADDR.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # pyHanko logs a warning with a traceback for every signature it cannot trust: on
        # /verifier/ that is any upload signed by another key (lib.signing says so in words).
        "pyhanko": {"level": "ERROR"},
        "pyhanko_certvalidator": {"level": "ERROR"},
    },
}
