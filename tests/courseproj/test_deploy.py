"""The production profile: the README's values pass Django's deployment checks, and deploy/
(gunicorn's config, the Procfile, the systemd units, the compose file) is valid and says what it should."""
import http.client
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

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


# --- the README's production values, exactly as documented ---------------------------


def _readme_production_env() -> dict[str, str]:
    """NAME=value pairs of the README's `check --deploy` command (the secret is generated there)."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("Production values that pass", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    words = shlex.split(block.replace("\\\n", " "))
    return {name: value for name, _, value in (w.partition("=") for w in words if re.match(r"^[A-Z_]+=", w))
            if not value.startswith("$(")}


def test_check_deploy_passes_with_the_readmes_values_including_postgres_and_redis(tmp_path):
    env = _readme_production_env()
    assert {"DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= set(env)
    result = _run_check(COURSEPROJ_VAR_DIR=str(tmp_path), **env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_passes_behind_a_proxy_as_compose_runs_it(tmp_path):
    app_env = _compose()["x-app"]["environment"]
    result = _run_check(COURSEPROJ_VAR_DIR=str(tmp_path), DJANGO_BEHIND_PROXY=app_env["DJANGO_BEHIND_PROXY"],
                        ALLAUTH_TRUSTED_PROXY_COUNT=app_env["ALLAUTH_TRUSTED_PROXY_COUNT"],
                        REDIS_URL="redis://redis:6379/0")
    assert result.returncode == 0, result.stdout + result.stderr


# --- deploy/: gunicorn, Procfile, systemd units, compose -------------------------------


def _production_env(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(COURSEPROJ_NO_BOOTSTRAP="1", DJANGO_SETTINGS_MODULE="courseproj.settings", DJANGO_DEBUG="false",
               DJANGO_SECRET_KEY="a-long-random-production-secret-value-1234567890-abcdefghij",
               COURSEPROJ_VAR_DIR=str(tmp_path), **extra)
    return env


def test_gunicorn_config_sizes_workers_from_the_cpus_and_outlasts_the_slowest_request(tmp_path):
    env = _production_env(tmp_path)
    env.pop("WEB_CONCURRENCY", None)
    result = subprocess.run([sys.executable, "-m", "gunicorn", "--print-config", "-c", "deploy/gunicorn.conf.py",
                             "courseproj.asgi:application"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.M))
    assert int(config["workers"]) == 2 * os.cpu_count() + 1
    # The slowest request: the matcher's 10 s in a web request, a publish to a frozen Redis (<= 8 s).
    assert int(config["timeout"]) >= 30 and int(config["graceful_timeout"]) >= 10
    assert "x-request-id" in config["access_log_format"]
    # ASGI workers: the live board's event streams (courseproj/serving.py); two view threads each.
    assert config["worker_class"] == "courseproj.serving.Worker" and int(config["threads"]) == 2


def test_every_form_of_the_web_serves_the_asgi_app():
    web = {
        "Procfile": dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)["web"],
        "Dockerfile": (ROOT / "deploy" / "Dockerfile").read_text().rsplit("CMD", 1)[1],
        "compose": " ".join(_compose()["services"]["web"]["command"]),
        "systemd": (ROOT / "deploy" / "systemd" / "courseproj-web.service").read_text().split("ExecStart=", 1)[1],
    }
    for form, command in web.items():
        assert "deploy/gunicorn.conf.py" in command and "courseproj.asgi:application" in command, form


def test_gunicorn_access_log_names_the_request_id_and_health_is_served_over_plain_http(tmp_path):
    port = _free_port()
    env = _production_env(tmp_path, PORT=str(port), GUNICORN_HOST="127.0.0.1", WEB_CONCURRENCY="1")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "courseproj.asgi:application"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = None
        deadline = time.monotonic() + 30
        while status is None and time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/health/", headers={"X-Request-ID": "deploy-probe-7", "Host": "localhost"})
                status = conn.getresponse().status
            except OSError:
                time.sleep(0.2)
        # No HTTPS redirect for the probe: health's own answer (503 here: no tables, no broker, no worker).
        assert status in (200, 503)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert re.search(r'"GET /health/ HTTP/1.1" 503 \d+ \d+ms request=deploy-probe-7', output), output[-3000:]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_procfile_runs_the_web_workers_one_beat_and_migrations_with_installed_commands():
    processes = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert set(processes) == {"release", "web", "worker", "beat"}
    assert "deploy/gunicorn.conf.py" in processes["web"] and "-Q default,profiling" in processes["worker"]
    for command in processes.values():
        assert (Path(sys.executable).parent / command.split()[0]).exists() or command.startswith("python ")


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert {u.name for u in units} == {"courseproj-web.service", "courseproj-worker@.service", "courseproj-beat.service"}
    names = []
    for unit in units:
        # The units name the production paths; verify them against this checkout's interpreter.
        text = unit.read_text().replace("/srv/courseproj/.venv/bin/", f"{Path(sys.executable).parent}/")
        text = text.replace("/etc/courseproj/env", "/dev/null")
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        names.append(str(tmp_path / name))
    result = subprocess.run(["systemd-analyze", "verify", *names], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def _compose() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())


def test_compose_file_runs_web_workers_one_beat_postgres_and_redis():
    compose = _compose()
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_DEBUG"] == "false" and env["REDIS_URL"].startswith("redis://redis:")
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert "uploads:/var/lib/courseproj/uploads" in services[name]["volumes"]
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/health/" in " ".join(services["web"]["healthcheck"]["test"])
    assert "noeviction" in services["redis"]["command"]
