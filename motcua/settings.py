"""Settings for MotCua. Everything that differs between the demo, tests and production comes from the environment:
DATABASE_URL and CELERY_BROKER_URL switch to external PostgreSQL and Redis."""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",  # sign-in lockouts (see the block on signing in below)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets served locally: the page works offline
    "processes",
    "webui",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "webui.middleware.LanguageMiddleware",  # Django's LocaleMiddleware, Vietnamese first on the pages
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "processes.middleware.AuditorsChangeNothingMiddleware",  # auditors: every unsafe method is a 403
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the sign-in page's answer
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "webui.context_processors.workspace",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motcua"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A kept connection that PostgreSQL closed meanwhile (a restart, a failover) is found at the start of the
        # next request and replaced, instead of failing that request.
        conn_health_checks=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")) > 0,
    )
}
# PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost; for our short OLTP queries and the
# report's aggregates the compiling costs more than it saves (bench/scale.py: an inbox page paid ~29 ms of JIT for
# 5 ms of execution; the province's year report 1.66 s -> 1.08 s at 326,000 dossiers without it).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if os.environ.get("MOTCUA_TEST_DB"):  # lets two test runs on one server keep out of each other's way
    DATABASES["default"]["TEST"] = {"NAME": os.environ["MOTCUA_TEST_DB"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Vietnamese first, English second; dates dd/mm/yyyy; the one-stop offices' time zone.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MOTCUA_MEDIA_ROOT", BASE_DIR / "var" / "media"))
# Dossier scans and files: outside the web root, served only through webui's permission-checked view.
ATTACHMENTS_ROOT = Path(os.environ.get("MOTCUA_ATTACHMENTS_ROOT", BASE_DIR / "var" / "attachments"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("MOTCUA_ATTACHMENT_MAX_MB", "10")) * 1024 * 1024
ATTACHMENT_MAX_PER_DOSSIER = 50
# Larger request bodies are refused before a view runs (several scans at the desk fit; a 50 MB upload does not).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# E-mail of the notifications outbox: SMTP from the environment in production (EMAIL_HOST, EMAIL_PORT, …); `make run`
# writes the messages as files under var/mail instead (no mail server on a demo machine).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "motcua@localhost")
# The designer studio: when on, a draft goes live only after a second process designer approves it.
MOTCUA_DEPLOY_APPROVAL = os.environ.get("MOTCUA_DEPLOY_APPROVAL", "") == "1"
# The citizens' look-up address printed as a QR code on the receipt (form 01).
PUBLIC_BASE_URL = os.environ.get("MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Signing in (webui): our own page; django-axes locks a username from one address after AXES_FAILURE_LIMIT wrong
# passwords, for AXES_COOLOFF_TIME. Locking on the pair means no one can lock out a colleague from elsewhere.
LOGIN_URL = "webui:login"
LOGIN_REDIRECT_URL = "webui:inbox"
LOGOUT_REDIRECT_URL = "webui:login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("MOTCUA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("MOTCUA_LOGIN_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "webui.auth.lockout_response"
AXES_VERBOSE = False  # no banner on every manage.py command; failures and lockouts are still logged
# Behind a reverse proxy, set AXES_IPWARE_* (django-axes) so that the client's address, not the proxy's, is used.
# A session lasts one working day; an expired one leads back to the sign-in page, then to the page the official was on.
SESSION_COOKIE_AGE = int(os.environ.get("MOTCUA_SESSION_SECONDS", str(9 * 3600)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "processes.api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MotCua API",
    "DESCRIPTION": "Hồ sơ thủ tục hành chính một cửa — dossiers of administrative procedures as BPMN workflows.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DossierStatusEnum": "processes.models.DossierStatus",
        "WorkItemStatusEnum": "processes.models.WorkItemStatus",
        "WorkItemKindEnum": "processes.models.WorkItemKind",
        "IncidentKindEnum": "processes.models.IncidentKind",
    },
}

# Celery only executes; the database remembers (README: the statutory clock; shared/docs/reliability-and-performance.md
# §2). filesystem:// is the embedded default of `make run`. Every task is idempotent (state-guarded under row locks) and
# nothing that carries a deadline is ever an ETA/countdown task: a lost message costs at most one timer lease.
# The cache. The citizens' portal's rate limits (django-ratelimit) count in it, so in production every web process
# must share one: CACHE_URL=redis://… (docker-compose sets it). Without it (make run, tests) each process counts alone.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Behind a reverse proxy the client's address is in a header the proxy sets (e.g. HTTP_X_REAL_IP), not REMOTE_ADDR.
if os.environ.get("RATELIMIT_IP_META_KEY"):
    RATELIMIT_IP_META_KEY = os.environ["RATELIMIT_IP_META_KEY"]

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
# Acknowledge after the task returns, so a message whose worker died (kill -9, power loss) is redelivered by brokers
# that can (Redis after visibility_timeout). filesystem:// deletes a message when it is fetched: there the timer lease
# alone brings the work back, and the design must never need more than that.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True  # a failure is recorded on the timer row; the lease re-drives it
# False (Celery's default), deliberately: when a pool child dies mid-task (hard time limit, OOM, a crash in a C
# extension) the message is acknowledged instead of requeued. Requeueing would redeliver a poison firing at once, in a
# loop ("can cause message loops", Celery docs) without counting an attempt; instead the lease runs out, the sweeper
# claims the timer again with attempts + 1, and max_attempts ends a crash loop in an incident an administrator sees.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker holds no more messages than it runs: nothing waits in a dead worker
# Hard limit below the lease (MOTCUA_TIMER_LEASE_SECONDS, 300 s): a firing is killed before its lease can run out, so
# one timer never has two live firings (and if it had, the dossier lock and the status check would serialize them).
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "120"))
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "100"))
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # a worker started before Redis waits for it
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # and waits for it again, however long, after it went away
# When the broker connection drops, acks_late tasks in progress cannot be acknowledged any more and will be redelivered
# (or re-claimed after their lease): cancel them rather than finish twice (Celery 6's default; silences its warning).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Redis redelivers an unacknowledged message after visibility_timeout. With no ETA/countdown task it only has to exceed
# the longest task (the hard time limit, 120 s) or a running task is delivered a second time; a short value merely
# makes Redis re-drive a dead worker's messages sooner (tests use 10 s). Redis's default is 1 hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300")),
    "socket_connect_timeout": 5,
    "socket_timeout": 30,  # a publish on a connection to a vanished Redis fails instead of hanging for ever
}
_broker_dir = os.environ.get("MOTCUA_BROKER_DIR")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(_broker_dir or BASE_DIR / "var" / "broker")
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is a relative ./control
        "store_processed": False,
        # kombu sleeps this long whenever a poll finds the worker full (prefetch 1) or the queue empty; its 1 s
        # default caps a worker at about one message per second per process.
        "polling_interval": float(os.environ.get("MOTCUA_BROKER_POLL_SECONDS", "0.1")),
    }
# The sweeper claims what is due in the timer table (the source of truth) at least every 30 s.
MOTCUA_SWEEP_SECONDS = min(float(os.environ.get("MOTCUA_SWEEP_SECONDS", "15")), 30.0)
MOTCUA_SWEEP_BATCH = int(os.environ.get("MOTCUA_SWEEP_BATCH", "200"))
# A claimed timer must be fired within its lease, queue wait included: the sweeper keeps at most this many unexpired
# leases and continues behind them (processes/tasks.py). 1,000 in 300 s needs 3.3 firings/s; 2 worker processes fire
# about 180/s on this 2-core machine (bench/timers.py, batches of 10). Tests: 20 in flight under a 5 s lease.
MOTCUA_SWEEP_MAX_IN_FLIGHT = int(os.environ.get("MOTCUA_SWEEP_MAX_IN_FLIGHT", "1000"))
# Claimed timers fired per Celery message (tasks.fire_timers): Celery's handling of a message costs about as much as a
# firing, so a batch of 10 nearly halves a storm's time; each firing stays its own transaction.
MOTCUA_FIRE_BATCH = int(os.environ.get("MOTCUA_FIRE_BATCH", "10"))
MOTCUA_TIMER_LEASE_SECONDS = int(os.environ.get("MOTCUA_TIMER_LEASE_SECONDS", "300"))
MOTCUA_TIMER_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_TIMER_MAX_ATTEMPTS", "5"))
MOTCUA_NOTIFY_SECONDS = min(float(os.environ.get("MOTCUA_NOTIFY_SECONDS", "30")), 300.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-timers": {"task": "processes.tasks.sweep_timers", "schedule": MOTCUA_SWEEP_SECONDS},
    "send-notifications": {"task": "processes.tasks.send_notifications", "schedule": MOTCUA_NOTIFY_SECONDS},
    "detect-stuck-dossiers": {"task": "processes.tasks.detect_stuck_dossiers", "schedule": 60.0},
    "audit-checkpoint": {"task": "processes.tasks.audit_checkpoint", "schedule": 60.0},
    # units, procedures, officials: too small for autovacuum's analyze threshold (processes/maintenance.py)
    "analyze-reference-tables": {"task": "processes.tasks.analyze_reference_tables", "schedule": 6 * 3600.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # SpiffWorkflow logs every task state change at INFO; our event log is the history that matters.
    "loggers": {"django.db.backends": {"level": "INFO"}, "spiff": {"level": "WARNING"}},
}
