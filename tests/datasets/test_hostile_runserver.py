"""The size guard under the demo's server, `manage.py runserver` (issue 15; docs/reliability.md row 3).

The committed middleware set `Connection: close`, a hop-by-hop header that
wsgiref (runserver) refuses from an application: every oversized upload was a
500 there. gunicorn's side is tests/datasets/test_upload_http.py.
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.db import connection
from django.test import Client

from datasets.models import Dataset, ProfileJob
from tests.drills.processes import ROOT, database_url, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD_MAX_MB = 1  # the server's limit in this test, so a whole oversized body is quick to send


@pytest.fixture
def runserver(tmp_path):
    port = free_port()
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "COURSEPROJ_NO_BOOTSTRAP": "1",
        "DATABASE_URL": database_url(connection.settings_dict), "UPLOAD_MAX_MB": str(UPLOAD_MAX_MB),
    }
    log = tmp_path / "runserver.log"
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def answers() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return True
        except OSError:
            return False

    try:
        wait_for(answers, timeout=60, what="runserver to answer", interval=0.2)
        yield port, log
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def session(course, instructor):
    client = Client()
    client.force_login(instructor)
    return client.cookies["sessionid"].value


def _answer(sock: socket.socket) -> bytes:
    """Read until the server closes or a whole response with its Content-Length has come."""
    answer = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")), None)
        if length is not None and len(body) >= length:
            break
    return answer


def _post_head(port: int, course_id: int, session: str, length: int) -> bytes:
    return (
        f"POST /c/{course_id}/datasets/upload/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: sessionid={session}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


@pytest.mark.reliability(3)
def test_runserver_answers_the_friendly_too_large_page_for_a_whole_oversized_upload(runserver, course, session):
    port, log = runserver
    body = b"--x\r\n" + b"a" * (UPLOAD_MAX_MB * 1024 * 1024 + 300 * 1024) + b"\r\n--x--\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(_post_head(port, course.pk, session, len(body)) + body)
        answer = _answer(sock)
    status_line = answer.partition(b"\r\n")[0]
    assert b" 413 " in status_line, (answer[:300], log.read_text()[-2000:])
    assert b"That file is too large" in answer and b"limited to 1 MB" in answer
    assert not Dataset.objects.exists() and not ProfileJob.objects.exists()


def test_runserver_answers_before_a_huge_body_is_sent(runserver, course, session):
    port, log = runserver
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(_post_head(port, course.pk, session, 200 * 1024 * 1024) + b"--x\r\n" + b"a" * 64 * 1024)
        answer = b""
        while b"That file is too large" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert b" 413 " in answer.partition(b"\r\n")[0], (answer[:300], log.read_text()[-2000:])
    assert b"That file is too large" in answer
    assert time.monotonic() - started < 5
