"""Settings, read from the environment (and an optional `.env`).

With no environment at all the product runs on an embedded default: SQLite and a
filesystem Celery transport under `var/`, DEBUG on. With `DATABASE_URL` and `REDIS_URL`
it runs on PostgreSQL and Redis. With DEBUG off, `SECRET_KEY` and `ALLOWED_HOSTS` must be set.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# --- Core ---

DEBUG = env.bool("DEBUG", default=True)
TESTING = env.bool("TESTING", default=False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="development-only-not-secret")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    try:
        SECRET_KEY = env("SECRET_KEY")
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "With DEBUG off, SECRET_KEY and ALLOWED_HOSTS must be set in the environment."
        ) from exc
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("With DEBUG off, ALLOWED_HOSTS must name at least one host.")

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
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "gridmgmt.apps.AxesConfig",  # django-axes, with a name in the reader's language
    "csp",
    "grids",
    "patrols",
    "incidents",
    "notifications",
    "meetings",
    "reports",
    "residents",
    "places",
    "assessment",
    "care",
    "gridmgmt",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gridmgmt.middleware.ProbeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "grids.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before anything reads the body: a too-large upload is refused unread.
    "gridmgmt.limits.RequestSizeLimitMiddleware",
    # After the user and the language are known: its 400 page is in their language.
    "gridmgmt.middleware.ControlCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gridmgmt.urls"
WSGI_APPLICATION = "gridmgmt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_count",
                "grids.context_processors.user_scope",
            ],
        },
    },
]

# --- Database ---

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, a worker and beat share one file: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that is unreachable fails a request (503) in seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # No JIT compilation: the app's statements run in milliseconds, and compiling one whose
    # estimated cost passes jit_above_cost (a report's time-to-close percentiles, with their
    # correlated subqueries) took 450 ms to save nothing (docs/performance.md). No parallel
    # plans either: starting a statement's parallel workers costs more than the few thousand
    # rows a page reads (a report's states: 2.6 ms alone, 15-21 ms with two workers), and
    # under load the workers take the cores the other requests need.
    DATABASES["default"]["OPTIONS"].setdefault(
        "options",
        "-c jit=off -c max_parallel_workers_per_gather="
        + str(env.int("DATABASE_PARALLEL_WORKERS", default=0)),
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ---

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="gridmgmt"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message taken by a worker that died without acknowledging it is delivered again
        # after this long. It must outlast the longest task (an import: at most 30 minutes)
        # and the longest retry countdown (5 minutes), or a task still running or waiting
        # would be delivered twice (harmless, as every task is idempotent, but wasted).
        "visibility_timeout": 45 * 60,
        "socket_connect_timeout": 3,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_QUEUE_DIR = VAR_DIR / "celery"
    CELERY_QUEUE_DIR.mkdir(exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
    }

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("TASKS_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = env("TIME_ZONE", default="Asia/Shanghai")
# How many records and notices a periodic sweep writes per statement and transaction. A batch
# costs about five statements whatever its size: at 1,000, the coverage check of a city's
# missed day (24,000 windows) runs 130 or so, within 10 + N / 100.
SWEEP_BATCH = env.int("SWEEP_BATCH", default=1000)

# --- Accounts ---

AUTH_USER_MODEL = "grids.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
# Failures count per username and address together: one address failing locks only that
# account from that address, so nobody can lock an account for everyone.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The number of reverse proxies in front of the web processes, each appending to
# X-Forwarded-For; the client address is read from that header accordingly (0: no proxy, the
# header is ignored). See docs/operations.md.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "gridmgmt.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

# --- Time and language ---

TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True
USE_I18N = True
# The site speaks Simplified Chinese unless the browser or the user asks for English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("en", "English"), ("zh-hans", "中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- Static files ---

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# --- Uploaded files ---

# Photos, register files and import reports go through Django's storage API: the local disk
# (MEDIA_ROOT) by default, or an S3-compatible object store shared by every web and worker
# machine with MEDIA_STORAGE=s3. Nothing is public: files are served through views that check
# scope, so the bucket stays private.
MEDIA_STORAGE = env("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "access_key": env("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default=None),
            "location": env("AWS_LOCATION", default=""),
            "default_acl": None,
            # Two photos named alike must not replace each other.
            "file_overwrite": False,
        },
    }
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured("MEDIA_STORAGE must be 'local' or 's3'.")

# Bounded uploads. A request body over MAX_REQUEST_BYTES is refused from its Content-Length,
# unread (gridmgmt.limits): the largest form upload is the register's 20 MB file. Fields
# other than files may take DATA_UPLOAD_MAX_MEMORY_SIZE in all; a file over
# FILE_UPLOAD_MAX_MEMORY_SIZE is spooled to a temporary file instead of memory. The proxy in
# front has the same body limit (docs/operations.md).
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_MB", default=21) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- Email ---

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="grid@localhost")
# The site's address, so links in emails can be opened: "https://grid.example.org".
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

# --- Residents' channel ---

# The address residents reach the grids' public pages on, printed as the notice boards' QR
# codes ("https://grid.example.org"); empty: the request's host, else SITE_URL.
PUBLIC_SITE_URL = env("PUBLIC_SITE_URL", default="").rstrip("/")
# Reports a public page takes (django-ratelimit rates, counted in the cache): from one
# address, and for one grid from everyone.
RESIDENTS_RATE_PER_ADDRESS = env("RESIDENTS_RATE_PER_ADDRESS", default="10/m")
RESIDENTS_RATE_PER_GRID = env("RESIDENTS_RATE_PER_GRID", default="60/h")
# The largest photo a resident may send (the page shrinks photos before sending them).
RESIDENTS_PHOTO_MAX_BYTES = env.int("RESIDENTS_PHOTO_MAX_MB", default=8) * 1024 * 1024

# --- Forms and messages ---

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ---

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer probes the backend over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "refusal_on_one_line": {"()": "gridmgmt.log.RefusalOnOneLine"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's records reach the root's console once: Django's own console handler
        # (on with DEBUG) would print each a second time. Its email to ADMINS stays.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        # A 403 is one line, without a traceback; server errors keep theirs.
        "django.request": {"filters": ["refusal_on_one_line"]},
        # runserver's request lines, with their time, as Django sets them up.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# fields.W161 warns of a fixed time as a field's default only when the check runs within ten
# seconds of that time of day (UTC): the patrol windows' default times (08:00, 12:00, 14:00,
# 18:00) are meant to be fixed, and `check --deploy` must not fail four times ten seconds a day.
SILENCED_SYSTEM_CHECKS = ["fields.W161"]
