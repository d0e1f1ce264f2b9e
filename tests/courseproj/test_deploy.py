"""The production values documented in the README pass Django's deployment checks."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_check(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        COURSEPROJ_NO_BOOTSTRAP="1",
        DJANGO_SETTINGS_MODULE="courseproj.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-production-secret-value-1234567890-abcdefghij",
        DJANGO_ALLOWED_HOSTS="courseproj.example.edu",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://courseproj.example.edu",
    )
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_the_documented_production_values(tmp_path):
    result = _run_check(COURSEPROJ_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_a_secret_key_fails_loudly(tmp_path):
    result = _run_check(COURSEPROJ_VAR_DIR=str(tmp_path), DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_malformed_boolean_fails_loudly(tmp_path):
    result = _run_check(COURSEPROJ_VAR_DIR=str(tmp_path), DJANGO_SECURE_COOKIES="maybe")
    assert result.returncode != 0
    assert "DJANGO_SECURE_COOKIES must be true or false" in result.stderr
