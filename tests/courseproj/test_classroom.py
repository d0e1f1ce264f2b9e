"""Phones in the room can join: the join link and QR code carry an address they reach, and the demo serves it."""
import io
import subprocess

import pytest
from django.urls import reverse

from courseproj import demo
from courseproj.management.commands import demo as demo_command
from tests.qr import decode_qr_svg


class FakeProbe:
    """A UDP socket whose route lookup answers `address` (or fails), without any network."""

    def __init__(self, address: str | None):
        self.address = address

    def __call__(self, *args):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def connect(self, target):
        if self.address is None:
            raise OSError("Network is unreachable")

    def getsockname(self):
        return (self.address, 40000)


def _hostname_lists(monkeypatch, output: str):
    monkeypatch.setattr(
        demo.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=output, stderr="")
    )


def test_lan_address_is_the_interface_the_room_routes_through(monkeypatch):
    monkeypatch.setattr(demo.socket, "socket", FakeProbe("192.168.1.20"))
    assert demo.lan_address() == "192.168.1.20"


def test_lan_address_falls_back_to_hostname_listing_private_first(monkeypatch):
    monkeypatch.setattr(demo.socket, "socket", FakeProbe(None))
    _hostname_lists(monkeypatch, "145.1.2.3 127.0.0.1 fe80::1 10.0.0.7 \n")
    assert demo.lan_address() == "10.0.0.7"


def test_lan_address_without_a_network_is_loopback(monkeypatch):
    monkeypatch.setattr(demo.socket, "socket", FakeProbe("127.0.0.1"))
    _hostname_lists(monkeypatch, "")
    assert demo.lan_address() == "127.0.0.1"


def test_the_demo_on_every_interface_uses_the_lan_address(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(demo_command, "lan_address", lambda: "192.168.1.20")
    assert demo_command.site_url_for(host="0.0.0.0", port=8000) == "http://192.168.1.20:8000"
    assert demo_command.site_url_for(host="127.0.0.1", port=8001) == "http://127.0.0.1:8001"


def test_site_url_from_the_environment_wins(monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://ml.example.edu/")
    assert demo_command.site_url_for(host="0.0.0.0", port=8000) == "https://ml.example.edu"


def test_serving_the_room_lets_the_server_answer_to_its_lan_address(monkeypatch, settings):
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(demo_command, "lan_address", lambda: "192.168.1.20")
    monkeypatch.setattr(demo_command.os, "environ", {})  # the worker's environment, kept out of this process
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    assert demo_command.serve_at(host="0.0.0.0", port=8000) == "http://192.168.1.20:8000"
    assert settings.ALLOWED_HOSTS == ["localhost", "127.0.0.1", "192.168.1.20"]
    assert settings.SITE_URL == demo_command.os.environ["SITE_URL"] == "http://192.168.1.20:8000"


def test_the_demo_prints_a_join_link_phones_can_open(monkeypatch, settings, db):
    settings.ALLOWED_HOSTS = ["localhost"]  # through the fixture: what the demo changes is undone after the test
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(demo_command.os, "environ", {})
    monkeypatch.setattr(demo_command, "lan_address", lambda: "192.168.1.20")
    monkeypatch.setattr(demo_command, "load_demo", lambda: demo.load_demo(students=2))
    served = []
    monkeypatch.setattr(demo_command, "call_command", lambda name, *args, **kwargs: served.append((name, args)))

    class Worker:
        send_signal = wait = lambda self, *a, **k: None

    monkeypatch.setattr(demo_command.Command, "_start_worker", lambda self: Worker())
    out = io.StringIO()
    command = demo_command.Command(stdout=out)
    command.handle(port=8000, host="0.0.0.0", no_serve=False)
    printed = out.getvalue()
    assert "running at http://192.168.1.20:8000/" in printed
    assert f"Join link:  http://192.168.1.20:8000/join/{demo.DEMO_JOIN_CODE}/" in printed
    assert ("runserver", ("0.0.0.0:8000",)) in served
    assert settings.SITE_URL == "http://192.168.1.20:8000" and "192.168.1.20" in settings.ALLOWED_HOSTS


def test_join_link_follows_the_address_the_page_was_opened_at(client_for, course, instructor, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"  # the development default: no phone can open it
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    client = client_for(instructor)
    page = client.get(reverse("course_detail", args=[course.pk]), HTTP_HOST="192.168.1.20:8000")
    assert f"http://192.168.1.20:8000/join/{course.join_code}/" in page.content.decode()


@pytest.mark.parametrize("name", ["course_qr", "course_detail"])
def test_join_link_and_qr_use_site_url_when_set(client_for, course, instructor, settings, name):
    settings.SITE_URL = "https://ml.example.edu"
    link = f"https://ml.example.edu/join/{course.join_code}/"
    response = client_for(instructor).get(reverse(name, args=[course.pk]))
    if name == "course_qr":
        assert decode_qr_svg(response.content) == [link]
    else:
        assert link in response.content.decode()
