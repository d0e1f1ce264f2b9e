"""The live streams on production's server (gunicorn with courseproj.serving.Worker, over a real socket):
the first event at once, a pick a moment later, and a worker that stops (a deploy's reload) says goodbye
so the browsers reconnect elsewhere instead of waiting for the graceful timeout."""
import os
import signal
import socket
import time

import pytest
from django.db import connection

from matching.services import interest_set_ranking
from tests import factories
from tests.drills.processes import WebServer, close_database_sessions, database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web(tmp_path, django_db_blocker):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(connection.settings_dict)}
    server = WebServer(env=env, log_dir=tmp_path).start()
    yield server
    server.stop()
    with django_db_blocker.unblock():
        close_database_sessions()


class EventReader:
    """A raw HTTP/1.1 client of one stream: the head, then the events as they arrive (chunked)."""

    def __init__(self, port: int, path: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.raw = b""
        while b"\r\n\r\n" not in self.raw:
            self.raw += self.sock.recv(65536)
        self.head, self.raw = self.raw.split(b"\r\n\r\n", 1)

    def events_until(self, name: str, timeout: float) -> list[tuple[str, str]]:
        """Events (name, data) read until one named `name` arrived; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            events = _events(_dechunk(self.raw))
            if any(event == name for event, _ in events):
                return events
            assert time.monotonic() < deadline, f"no {name!r} event within {timeout} s: {events}"
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            assert data, f"the stream closed before a {name!r} event: {events}"
            self.raw += data


def _dechunk(raw: bytes) -> bytes:
    body = b""
    while b"\r\n" in raw:
        size_line, rest = raw.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0 or len(rest) < size + 2:
            break
        body, raw = body + rest[:size], rest[size + 2:]
    return body


def _events(body: bytes) -> list[tuple[str, str]]:
    found = []
    for block in body.decode().split("\n\n"):
        lines = block.split("\n")
        names = [line[7:] for line in lines if line.startswith("event: ")]
        if names:
            found.append((names[0], "\n".join(line[6:] for line in lines if line.startswith("data: "))))
    return found


def test_the_production_server_streams_the_board_and_a_pick_a_moment_later(web):
    course = factories.CourseFactory(title="Day 9")
    iris = factories.DatasetFactory(course=course, title="Iris flowers")
    student = factories.MembershipFactory(course=course, role="student", user__name="Sam Student").user
    reader = EventReader(web.port, f"/display/{course.display_token}/stream/")
    head = reader.head.decode().lower()
    assert head.startswith("http/1.1 200") and "content-type: text/event-stream" in head
    assert "x-accel-buffering: no" in head and "transfer-encoding: chunked" in head
    first = reader.events_until("board", timeout=10)
    assert "Iris flowers" in first[-1][1] and "Sam Student" not in first[-1][1]

    events = first
    for name in ("Sam Student", "Cleo Classmate"):  # the first pick also loads the similarity code (seconds)
        user = student if name == "Sam Student" else factories.MembershipFactory(
            course=course, role="student", user__name=name).user
        picked = time.monotonic()
        interest_set_ranking(membership=user.memberships.get(), dataset_ids=[iris.pk])
        while name not in events[-1][1]:
            events = _wait_for_more(reader, len(events))
    assert time.monotonic() - picked < 2  # the version is read every 250 ms


def _wait_for_more(reader: EventReader, seen: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + 5
    while True:
        events = _events(_dechunk(reader.raw))
        if len(events) > seen:
            return events
        assert time.monotonic() < deadline, "no further event"
        reader.sock.settimeout(1)
        try:
            reader.raw += reader.sock.recv(65536)
        except socket.timeout:
            pass


@pytest.mark.reliability(45)
def test_a_reloading_server_ends_its_streams_with_a_goodbye_at_once(web):
    course = factories.CourseFactory(title="Day 9")
    factories.DatasetFactory(course=course, title="Iris flowers")
    reader = EventReader(web.port, f"/display/{course.display_token}/stream/")
    reader.events_until("board", timeout=10)
    reloaded = time.monotonic()
    os.kill(web.pid, signal.SIGHUP)  # a deploy: new workers, the old ones stop gracefully
    reader.events_until("bye", timeout=10)
    assert time.monotonic() - reloaded < 10  # not the 30 s graceful timeout
