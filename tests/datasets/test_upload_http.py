"""Uploads over a real socket to gunicorn (docs/reliability.md rows 3 and 24).

The test client hands Django a finished body; only a real server shows that an
oversized upload is refused before its body is read, and that a double-click
(two requests at once) still makes one dataset and one job.
"""
import os
import re
import socket
import threading
import time
import urllib.request
import uuid

import pytest
from django.db import connection
from django.test import Client

from datasets.models import Dataset, ProfileJob
from tests.drills.processes import WebServer, database_url

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"x,y,label\n" + b"".join(f"{i},{i % 5},{'a' if i % 3 else 'b'}\n".encode() for i in range(200))


@pytest.fixture
def web(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(connection.settings_dict)}
    server = WebServer(env=env, log_dir=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def session(course, instructor):
    client = Client()
    client.force_login(instructor)
    return client.cookies["sessionid"].value


def _multipart(fields: dict, file_field: str, file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
        f"Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _answer_head(sock) -> bytes:
    """What the server answered, up to the end of its headers (or until it closed the connection)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        received = sock.recv(65536)
        if not received:
            break
        answer += received
    return answer


def _csrf(web, course, session: str) -> tuple[str, str]:
    """(cookie, form token) from the upload page, as a browser gets them."""
    request = urllib.request.Request(f"{web.url}/c/{course.pk}/datasets/upload/", headers={"Cookie": f"sessionid={session}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"]).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    return cookie, token


@pytest.mark.reliability(3)
def test_row3_a_200_mb_upload_is_refused_before_its_body_is_sent(web, course, session):
    declared = 200 * 1024 * 1024
    head = (
        f"POST /c/{course.pk}/datasets/upload/ HTTP/1.1\r\nHost: 127.0.0.1:{web.port}\r\n"
        f"Cookie: sessionid={session}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(head + b"--x\r\n" + b"a" * 64 * 1024)  # 64 KB of the announced 200 MB, then nothing
        answer = _answer_head(sock)
    took = time.monotonic() - started

    status_line, _, _ = answer.partition(b"\r\n")
    assert b" 413 " in status_line, answer[:300]
    assert b"connection: close" in answer.lower()
    assert took < 5  # answered without waiting for the other 199.9 MB
    assert not Dataset.objects.exists() and not ProfileJob.objects.exists()


@pytest.mark.reliability(3)
def test_row3_a_chunked_upload_without_a_length_is_refused_unread(web, course, session):
    head = (
        f"POST /c/{course.pk}/datasets/upload/ HTTP/1.1\r\nHost: 127.0.0.1:{web.port}\r\n"
        f"Cookie: sessionid={session}\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"a" * 64 * 1024
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(head + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")  # one chunk, then nothing
        answer = _answer_head(sock)

    status_line, _, _ = answer.partition(b"\r\n")
    assert b" 411 " in status_line, answer[:300]
    assert not Dataset.objects.exists() and not ProfileJob.objects.exists()


@pytest.mark.reliability(24)
def test_row24_a_double_click_makes_one_dataset_and_one_job(web, course, session):
    cookie, token = _csrf(web, course, session)
    body, content_type = _multipart({"csrfmiddlewaretoken": token, "title": "Twice"}, "file", "t.csv", CSV)
    url = f"{web.url}/c/{course.pk}/datasets/upload/"
    statuses: list[int] = []
    go = threading.Barrier(2)

    def post() -> None:
        request = urllib.request.Request(url, data=body, headers={
            "Content-Type": content_type, "Cookie": f"sessionid={session}; csrftoken={cookie}", "Referer": url,
        })
        go.wait(timeout=10)
        with urllib.request.urlopen(request, timeout=30) as response:  # follows the redirect
            statuses.append(response.status)

    clicks = [threading.Thread(target=post) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join(timeout=40)

    assert statuses == [200, 200]
    assert Dataset.objects.count() == 1 and ProfileJob.objects.count() == 1
    dataset = Dataset.objects.get()
    assert dataset.profile_job_id == ProfileJob.objects.get().pk
