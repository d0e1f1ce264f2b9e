"""Test overrides, in one place, on top of the one settings module."""
import os
import tempfile

# Runtime state of a test run (broker folders, SQLite file for browser tests)
# lives in a throwaway folder, never in the developer's var/.
os.environ.setdefault("COURSEPROJ_VAR_DIR", tempfile.mkdtemp(prefix="courseproj-test-"))
os.environ.setdefault("DJANGO_DEBUG", "true")

from courseproj.settings import *  # noqa: E402,F403
from courseproj.settings import DATABASES, STATIC_ROOT, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# allauth's rate limits live in the cache: each test starts with an empty one.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "uploads"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Tasks are published to the embedded broker (or Redis) and left there unless a
# test runs a worker; services are called directly where a test needs a result.
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a worker process can share the browser tests' database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# Executing a starter notebook adds seconds to every profile a test runs;
# the notebook tests (tests/datasets/test_report_notebook.py) turn it on.
PROFILE_NOTEBOOK_TIMEOUT = 0
