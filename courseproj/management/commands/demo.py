import importlib
import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from courseproj.courses.web import LOOPBACK_HOSTS
from courseproj.demo import DEMO_JOIN_CODE, DEMO_PASSWORD, INSTRUCTOR_EMAIL, lan_address, load_demo

EVERY_INTERFACE = ("0.0.0.0", "::")


class Command(BaseCommand):
    help = "Migrate, load the demo course, and run the web server with a Celery worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--host", default="127.0.0.1",
            help="Address to listen on: 0.0.0.0 serves the room's network, so phones can join.",
        )
        parser.add_argument("--no-serve", action="store_true", help="Only migrate and load the demo data.")

    def handle(self, *args, port: int, host: str, no_serve: bool, **options):
        call_command("migrate", verbosity=0)
        course = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo course “{course}” ready (join code {DEMO_JOIN_CODE})."))
        if no_serve:
            return
        site = serve_at(host=host, port=port)
        # Loaded now, not by the first lonely pick of the class (which would wait seconds
        # for scikit-learn: matching.similarity imports it lazily to keep commands quick).
        importlib.import_module("matching.similarity")
        worker = self._start_worker()
        url = f"{site}/"
        lines = ["", f"  courseproj is running at {url}"]
        if urlsplit(site).hostname in LOOPBACK_HOSTS:
            lines.append(
                "  (no network address found: set SITE_URL to the address phones reach)" if host in EVERY_INTERFACE
                else "  (only this machine can open it: `--host 0.0.0.0` serves the room's network)"
            )
        lines += [
            f"  Instructor: {INSTRUCTOR_EMAIL} / {DEMO_PASSWORD}",
            f"  Students:   student01@example.com … student30@example.com / {DEMO_PASSWORD}",
            f"  Join link:  {url}join/{DEMO_JOIN_CODE}/",
            f"  Projector:  {url}display/{course.display_token}/",
            "  Press Ctrl-C to stop the server and the worker.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            call_command("runserver", address, use_reloader=False, use_ipv6=":" in host)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)

    def _start_worker(self) -> subprocess.Popen:
        command, env = worker_command()
        return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


def site_url_for(*, host: str, port: int) -> str:
    """Where phones open the demo: the join link and the QR code carry it.

    1. SITE_URL from the environment, when set (a name the room's network resolves, a proxy).
    2. Listening on every interface: this machine's address on the room's network.
    3. Else the address it listens on.
    """
    if os.environ.get("SITE_URL"):
        return os.environ["SITE_URL"].rstrip("/")
    address = lan_address() if host in EVERY_INTERFACE else host
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def serve_at(*, host: str, port: int) -> str:
    """Make this process (the server) and the worker it starts use the demo's public address.

    The server answers to that address (ALLOWED_HOSTS), the join link and QR code
    carry it (SITE_URL, courses/web.py), and so do the worker's emails.
    """
    site = site_url_for(host=host, port=port)
    name = urlsplit(site).hostname or ""
    name = f"[{name}]" if ":" in name else name
    settings.SITE_URL = site
    os.environ["SITE_URL"] = site
    extra = [h for h in (name, "" if host in EVERY_INTERFACE else host) if h and h not in settings.ALLOWED_HOSTS]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, *extra]
    return site


def worker_command() -> tuple[list[str], dict[str, str]]:
    """The demo's one worker with the beat, quiet so the demo's own lines stay readable."""
    env = {
        # One BLAS/OpenMP thread per process is set by courseproj/celery.py, before numpy loads.
        **os.environ,
        # The demo runs as whoever started it (root in a container); Celery's warning
        # about that would bury the demo's own lines.
        "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "courseproj", "--quiet", "worker", "--beat",
        "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
        "--queues", "default,profiling", "--concurrency", "1", "--loglevel", "WARNING",
    ]
    return command, env
