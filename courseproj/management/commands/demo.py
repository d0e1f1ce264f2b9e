import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from courseproj.demo import DEMO_JOIN_CODE, DEMO_PASSWORD, INSTRUCTOR_EMAIL, load_demo


class Command(BaseCommand):
    help = "Migrate, load the demo course, and run the web server with a Celery worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Only migrate and load the demo data.")

    def handle(self, *args, port: int, no_serve: bool, **options):
        call_command("migrate", verbosity=0)
        course = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo course “{course}” ready (join code {DEMO_JOIN_CODE})."))
        if no_serve:
            return
        worker = self._start_worker()
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  courseproj is running at {url}",
                    f"  Instructor: {INSTRUCTOR_EMAIL} / {DEMO_PASSWORD}",
                    f"  Students:   student01@example.com … student30@example.com / {DEMO_PASSWORD}",
                    f"  Join link:  {url}join/{DEMO_JOIN_CODE}/",
                    f"  Projector:  {url}display/{course.display_token}/",
                    "  Press Ctrl-C to stop the server and the worker.",
                    "",
                ]
            )
        )
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)

    def _start_worker(self) -> subprocess.Popen:
        command, env = worker_command()
        return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


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
