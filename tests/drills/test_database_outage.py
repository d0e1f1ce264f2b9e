"""PostgreSQL goes away under a running web server and worker, and comes back (docs/reliability.md row 40).

The machine's PostgreSQL is shared, so it is never stopped: gunicorn and the
worker reach it through a TCP proxy this test controls (tests/drills/netcut.py),
and the outage is the proxy dropping every connection and refusing new ones,
which is what the app sees while a server restarts. PostgreSQL only: SQLite has
no server to lose (tests/courseproj/test_outage_page.py checks the page
in-process on both databases).
"""
import http.cookiejar
import json
import time
import urllib.error
import urllib.request

import pytest
from django.db import connection

from courseproj.middleware import RETRY_AFTER_SECONDS
from datasets.models import JobStatus
from tests.drills.conftest import assert_consumes, job_of
from tests.drills.netcut import TcpProxy
from tests.drills.processes import WebServer, Worker, close_database_sessions, wait_for

pytestmark = pytest.mark.drill

OUTAGE_SECONDS = 3


@pytest.fixture
def database_proxy(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to lose (the page is tested in-process)")
    settings_dict = connection.settings_dict
    proxy = TcpProxy(target_host=settings_dict["HOST"] or "127.0.0.1", target_port=int(settings_dict["PORT"] or 5432))
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied(process_env, database_proxy, tmp_path, django_db_blocker):
    """start("web") / start("worker"): processes whose database is behind the proxy; killed at teardown."""
    settings_dict = connection.settings_dict
    env = {
        **process_env,
        "DATABASE_URL": f"postgres://{settings_dict['USER'] or 'postgres'}@127.0.0.1:{database_proxy.port}/"
                        f"{settings_dict['NAME']}",
        # The web runs as in production (handler500 only answers with DEBUG off), on plain HTTP.
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "drill-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DATABASE_CONNECT_TIMEOUT": "2",
        # Room for the outage in the job's retries (1, 2, 4, 8, 16 s).
        "PROFILE_MAX_RETRIES": "5",
    }
    started: list = []

    def start(kind: str, **extra):
        if kind == "web":
            process = WebServer(env=env, log_dir=tmp_path).start()
        else:
            process = Worker(name="w1", env={**env, **{k: str(v) for k, v in extra.items()}}, log_dir=tmp_path,
                             beat=True).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    with django_db_blocker.unblock():
        close_database_sessions()


def _get(opener, url: str) -> tuple[int, dict, str, float]:
    began = time.monotonic()
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode(), time.monotonic() - began
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(), time.monotonic() - began


def _opener_for(web: WebServer, client, user):
    client.force_login(user)  # a committed session row that gunicorn reads
    jar = http.cookiejar.CookieJar()
    for name, morsel in client.cookies.items():
        jar.set_cookie(http.cookiejar.Cookie(0, name, morsel.value, None, False, "127.0.0.1", False, False, "/", True,
                                             False, None, False, None, None, {}))
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


@pytest.mark.reliability(40)
def test_row40_web_serves_503_during_a_database_outage_and_both_web_and_worker_recover(
    database_proxy, proxied, upload, client, course, instructor
):
    web = proxied("web")
    worker = proxied("worker", DRILL_SLOW_STEP=0.4)
    member = _opener_for(web, client, instructor)
    anonymous = urllib.request.build_opener()
    pages = {
        "course page (signed in)": (member, f"{web.url}/c/{course.pk}/"),
        "projector (no login)": (anonymous, f"{web.url}/display/{course.display_token}/"),
    }
    for name, (opener, url) in pages.items():
        assert _get(opener, url)[0] == 200, name
    dataset = upload(seed=4040)
    wait_for(lambda: job_of(dataset).progress >= 0.1, timeout=30, what="the job to be mid-profile")

    database_proxy.cut()
    cut_at = time.monotonic()
    during = {}
    for name, (opener, url) in pages.items():
        status, headers, body, took = _get(opener, url)
        during[name] = (status, took)
        assert status == 503, f"{name}: {status} {body[:300]}"
        assert headers.get("Retry-After") == str(RETRY_AFTER_SECONDS) and "back in a moment" in body
        assert took < 5, f"{name} took {took:.1f} s to answer during the outage"
    status, _, body, _ = _get(anonymous, f"{web.url}/health/")
    assert status == 503 and not json.loads(body)["checks"]["database"]["ok"]
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))

    database_proxy.restore()
    restored = time.monotonic()
    back = {
        name: wait_for(lambda: _get(opener, url)[0] == 200, timeout=20, what=f"{name} to answer 200 again")
        for name, (opener, url) in pages.items()
    }
    wait_for(lambda: job_of(dataset).is_finished, timeout=90, what="the job to finish after the outage")
    job = job_of(dataset)
    assert job.status == JobStatus.DONE and job.attempts >= 2, (job.status, job.attempts, job.error_message)
    assert "Retry in" in worker.text()
    canary = assert_consumes(worker, timeout=30)
    healthy = wait_for(lambda: _get(anonymous, f"{web.url}/health/")[0] == 200, timeout=30, what="health green")

    print(f"\nrow 40: PostgreSQL cut for {OUTAGE_SECONDS} s under gunicorn (DEBUG off) and a worker; during it "
          + ", ".join(f"{name} {status} in {took * 1000:.0f} ms" for name, (status, took) in during.items())
          + f" with Retry-After {RETRY_AFTER_SECONDS}; after restore pages 200 within "
          + f"{max(back.values()):.1f} s, the mid-profile job done on attempt {job.attempts} "
          + f"{time.monotonic() - restored:.1f} s later, canary {canary:.1f} s, /health/ 200 after {healthy:.1f} s")
