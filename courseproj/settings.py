"""courseproj settings: one module, configured by environment variables.

Every variable is listed in `.env.example` and in the README's configuration
table. The defaults run the development demo with nothing else installed:
SQLite and a filesystem Celery broker under `var/`. `DATABASE_URL` switches to
PostgreSQL, `REDIS_URL` switches the broker and the cache to Redis.
"""
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
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
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)


def env_secret(name: str) -> str:
    """A secret: required outside DEBUG, a fixed throwaway value in development."""
    value = os.environ.get(name, "")
    if value:
        return value
    if DEBUG:
        return f"insecure-development-{name.lower()}"
    raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is false")


SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Where the app keeps its runtime state: SQLite file, uploads, embedded broker.
VAR_DIR = Path(env_str("COURSEPROJ_VAR_DIR", str(BASE_DIR / "var")))
# Uploaded datasets live here, outside the web root and the static files.
MEDIA_ROOT = VAR_DIR / "uploads"
# No URL serves uploads (they are read by the worker only); Django still wants a value.
MEDIA_URL = "/private-uploads/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    # Two-factor authentication (TOTP + recovery codes): anyone may turn it on;
    # the admin requires it (courseproj/middleware.py).
    "allauth.mfa",
    "django_htmx",
    "csp",
    # The project (the demo command) and the product's apps, in the order of
    # their dependencies: each may import those above it, never those below.
    "courseproj",
    "courseproj.courses",
    "datasets",
    "matching",
    "courseproj.planner",
    "courseproj.dashboard",
    # The LMS connection (LTI 1.3): django-lti's registrations, deployments and
    # keys, and courseproj's launch, roster sync and groups (docs/lti.md).
    "lti_tool",
    "courseproj.lti",
]

MIDDLEWARE = [
    # First, so every log line of the request carries its id.
    "courseproj.logcontext.RequestIdMiddleware",
    # A view that loses the database answers 503 with Retry-After, not 500
    # (urls.handler500 does the same for errors raised in other middleware).
    "courseproj.middleware.ServiceUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: refuse oversized uploads from the header.
    "datasets.middleware.UploadSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: /admin/ only for staff who signed in with a second factor.
    "courseproj.middleware.AdminRequiresMFAMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "courseproj.urls"
WSGI_APPLICATION = "courseproj.wsgi.application"

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
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        # Reuse connections for a minute; health checks drop a connection that
        # died during a PostgreSQL restart instead of failing the next request.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable database host (network cut, not a refused port) fails a
    # request after 5 s with a 503 page instead of the kernel's 2-minute wait.
    DATABASES["default"]["OPTIONS"] = {"connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The same backend, making the database file's folder on first connect
    # (courseproj/backends/sqlite3): importing settings never touches the disk.
    DATABASES["default"]["ENGINE"] = "courseproj.backends.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for up to 20 s instead of failing with "database is
        # locked"; IMMEDIATE takes the write lock at BEGIN so a read-then-write
        # transaction cannot deadlock; WAL lets readers run beside one writer.
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "courseproj.User"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # allauth's rate limits read this cache on every login: a frozen
            # Redis (alive, not answering) fails such a request after 2 s (a
            # 503 page) instead of hanging it and its gunicorn worker forever.
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    # A file cache is shared by every process on the machine (web workers and
    # Celery), so allauth's rate limits hold across processes without Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- django-allauth -------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Sign-up also asks for a name (pages show names, never an email), and the
# adapter stores it and lets a course's join link skip waiting for the email.
ACCOUNT_SIGNUP_FORM_CLASS = "courseproj.courses.forms.SignupForm"
ACCOUNT_ADAPTER = "courseproj.courses.adapter.AccountAdapter"
# What allauth's messages and mails call the person they are addressed to.
ACCOUNT_USER_DISPLAY = "courseproj.courses.adapter.user_display"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    # A whole class signs in from one school NAT address within a minute, so
    # the per-IP limits are sized for 300 people; guessing one account's
    # password is still stopped by the per-account ("key") limit: the 6th
    # failure within 5 minutes is refused, even with the right password.
    "login": "300/m/ip",
    "login_failed": "100/m/ip,5/5m/key",
    "signup": "200/m/ip",
    "reset_password": "60/m/ip,5/m/key",
    "reset_password_from_key": "60/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
# Only trust X-Forwarded-For set by this many proxies in front of the app.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0)
# Second factors: an authenticator app (TOTP) and one-time recovery codes.
# WebAuthn would need the fido2 package and allauth's scripts; not offered.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "courseproj"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where links in emails point (emails are sent by workers, which have no request).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "courseproj <noreply@localhost>")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# --- uploads ---------------------------------------------------------------
# Django has no cap on file size by default; ours is enforced from the
# Content-Length header (middleware) and while the body streams in (handler).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 20) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "datasets.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- static files ------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- security ----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers and monitors probe /health/ over plain HTTP on the private
# network: they must get its 200/503, not a redirect to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env_bool("DJANGO_BEHIND_PROXY", False):
    # The proxy terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Celery --------------------------------------------------------------------
# Job state lives in our database (ProfileJob rows); Celery only carries ids.
# Celery reads every CELERY_* name below (courseproj/celery.py); the PROFILE_*
# and HEALTH_* values are read by datasets/ and courseproj/health.py.

# How long one profile may run. The engine budgets about 20 s of model fitting
# and samples large tables (the target for 1M rows x 20 columns is 60 s);
# loading the largest allowed upload adds seconds. Soft: the task gets SoftTimeLimitExceeded and
# fails the job as "too slow". Hard: the pool kills the child, a backstop for
# code that does not return to Python (a C loop) after the soft limit.
PROFILE_SOFT_TIME_LIMIT = env_int("PROFILE_SOFT_TIME_LIMIT", 120)
PROFILE_HARD_TIME_LIMIT = env_int("PROFILE_HARD_TIME_LIMIT", 150)
if PROFILE_HARD_TIME_LIMIT <= PROFILE_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("PROFILE_HARD_TIME_LIMIT must be longer than PROFILE_SOFT_TIME_LIMIT")
# The job sweeper (beat, every PROFILE_SWEEP_SECONDS) keeps jobs moving without
# the broker's help: a running job whose heartbeat is older than
# PROFILE_STALE_SECONDS lost its worker (killed, frozen) and is run again; a
# pending job that old was never sent (the broker was down) and is sent; a
# queued job older than PROFILE_REQUEUE_SECONDS is sent again (a Redis restart
# without persistence lost its message; a duplicate message does nothing).
# A running job beats every PROFILE_STALE_SECONDS / 6, so a killed worker's
# job is running again within stale + sweep = 30 s (the page says "retrying"
# after 10 s); kombu's own restore would take the visibility timeout + 100 s.
PROFILE_SWEEP_SECONDS = env_int("PROFILE_SWEEP_SECONDS", 10)
PROFILE_STALE_SECONDS = env_int("PROFILE_STALE_SECONDS", 20)
PROFILE_REQUEUE_SECONDS = env_int("PROFILE_REQUEUE_SECONDS", 300)
# A database error (PostgreSQL restarting) retries the job after 1, 2, 4, 8,
# 16 s, then fails it with the reason.
PROFILE_MAX_RETRIES = env_int("PROFILE_MAX_RETRIES", 5)
# After a profile, the worker executes its starter notebook for at most this
# many seconds (0: no notebooks); a notebook slower than that is not offered.
PROFILE_NOTEBOOK_TIMEOUT = env_int("PROFILE_NOTEBOOK_TIMEOUT", 120)
# /health/'s worker canary: a tiny task sent to each queue every
# HEALTH_CANARY_SECONDS; health is red when no worker answered on a queue for
# HEALTH_CANARY_MAX_AGE seconds (alive but not consuming is the usual failure).
# 50 s: a worker that stops consuming turns health red within a minute even if
# it answered just before; a queue whose every child is busy with long
# profiles for that long is reported too (jobs wait: add workers).
HEALTH_CANARY_SECONDS = env_int("HEALTH_CANARY_SECONDS", 10)
HEALTH_CANARY_MAX_AGE = env_int("HEALTH_CANARY_MAX_AGE", 50)
# Address-space cap per worker child (0: none), set in worker_process_init.
# A profile of the largest allowed file peaks well under 1 GB resident; address
# space runs higher (a child starts at about 0.6 GB of mappings).
WORKER_MEMORY_LIMIT_MB = env_int("WORKER_MEMORY_LIMIT_MB", 4096)

REDIS_BROKER_OPTIONS = {
    # A frozen Redis (alive, not answering) must not hang a web request: a
    # command without an answer fails after 2 s. Measured on a SIGSTOPped
    # Redis: publishing gives up after 2-6 s with the retry policy below (22 s
    # with 5 s timeouts and 2 retries; forever with no timeout). The job row
    # stays "pending" and the sweeper sends it later.
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    # Redis hands an unacknowledged message to another worker after this
    # long: longer than a job may run, so a live job's message is never
    # delivered twice. kombu restores such messages when a worker starts and
    # then every 100 s (not configurable in kombu 5.5), so a killed worker's
    # job is recovered sooner by the sweeper (PROFILE_STALE_SECONDS); this is
    # the backstop when no beat runs.
    "visibility_timeout": PROFILE_HARD_TIME_LIMIT + 60,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_OPTIONS
else:
    # The folders are made when Celery is first configured (courseproj/celery.py),
    # not here: importing settings never touches the disk.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # kombu's filesystem transport works across processes on one machine:
        # the embedded default needs no broker server. It has no visibility
        # timeout: a killed worker's message is gone, and the sweeper re-sends.
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Its exchange tables; kombu's default is `control/` in the current directory.
        "control_folder": str(_broker_dir / "control"),
    }
# The limits are the worker's, for every task (the others take milliseconds; a
# hung SMTP call is cut too). Not per task in @shared_task: Celery copies a
# task's own limits into each message, so the web process's values would win
# over the worker's, and messages queued before a change would keep old ones.
CELERY_TASK_SOFT_TIME_LIMIT = PROFILE_SOFT_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = PROFILE_HARD_TIME_LIMIT
# Publishing: one quick retry (a connection Redis closed while restarting is
# re-opened), then give up and leave the job pending.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Workers: keep reconnecting through a long broker outage instead of exiting
# after 100 attempts; retry at start too (Redis may come up after the worker).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Only JSON crosses the broker: nothing is ever unpickled.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Job state lives in our database; results would only fill the broker.
CELERY_TASK_IGNORE_RESULT = True
# Profiling has its own queue, so a burst of uploads never delays the sweeper,
# the canary or the circle emails on "default" (and workers can be sized per
# queue: `-Q profiling` on big machines).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"datasets.profile_job_run": {"queue": "profiling"}}
# One message at a time per child: a profile is long, and a worker must not
# hoard messages an idle worker could take (with acks_late, a prefetched
# message also waits out the visibility timeout if its worker dies).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Acknowledge after the task ran, and put the message back when its child was
# killed (out of memory): the job is run again, and the claim on its row counts
# deliveries and fails it after a few (no endless crash loop).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# When the broker connection drops (Redis restarting), let running profiles
# finish: their result goes to the database, and the message's redelivery,
# if any, finds nothing to claim. Cancelling them would only waste the work.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A child that grew past 1 GB resident after a big profile is replaced before
# the next task (pandas keeps freed memory); it does not stop a runaway task:
# the address-space cap (WORKER_MEMORY_LIMIT_MB) does.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 1024 * 1024  # KiB
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The canary task lives with the health endpoint, outside any tasks.py.
CELERY_IMPORTS = ["courseproj.health"]
# Exactly one beat runs these (`celery -A courseproj beat`, or `worker --beat`
# in the demo). A message older than its period is dropped: the next one is
# already on its way.
CELERY_BEAT_SCHEDULE = {
    "sweep-profile-jobs": {
        "task": "datasets.profile_jobs_sweep",
        "schedule": float(PROFILE_SWEEP_SECONDS),
        "options": {"queue": "default", "expires": PROFILE_SWEEP_SECONDS},
    },
    # Circle emails of a run published while the broker was down.
    "sweep-circle-emails": {
        "task": "matching.match_runs_notify_sweep",
        "schedule": 60.0,
        "options": {"queue": "default", "expires": 60},
    },
    # Used LTI launch nonces older than any id_token we accept (courseproj/lti).
    "prune-lti-nonces": {
        "task": "lti.nonces_prune",
        "schedule": 3600.0,
        "options": {"queue": "default", "expires": 3600},
    },
    **{
        f"health-canary-{queue}": {
            "task": "courseproj.health_canary",
            "schedule": float(HEALTH_CANARY_SECONDS),
            "args": [queue],
            "options": {"queue": queue, "expires": HEALTH_CANARY_MAX_AGE},
        }
        for queue in ("default", "profiling")
    },
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # request= and job= on every line (courseproj/logcontext.py): one request or
    # one profiling job can be followed across web and worker logs.
    "filters": {"context": {"()": "courseproj.logcontext.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s request=%(request_id)s job=%(job_id)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # kombu warns "No hostname was supplied" on every connection of the embedded
    # filesystem broker, which has no host: noise, not news.
    "loggers": {"kombu.connection": {"level": "ERROR"}},
}

# `python manage.py test` runs the pytest suite.
TEST_RUNNER = "courseproj.testrunner.PytestRunner"
