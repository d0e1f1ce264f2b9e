"""Real processes on loopback for the drills: a private Redis, Celery workers, gunicorn.

Every process is started in its own session (process group) so a drill can
kill exactly it, its pool children included, by PID; every wait is bounded.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll until predicate() is truthy; return the seconds it took, or fail the test after timeout."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def database_url(settings_dict: dict) -> str:
    """The test database as a URL for another process (the app_server pattern)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict["USER"] or "postgres"
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


def close_database_sessions() -> None:
    """PostgreSQL: end the sessions killed processes left on the test database, so it can be dropped.

    A SIGKILLed worker's backends exit a moment after their socket closes;
    dropping the test database in that moment fails. Only this test run's own
    processes use the test database.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


class _Process:
    """A child process in its own process group, stopped by its PID."""

    process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: int) -> None:
        """Signal the whole group: the process and its children (a worker's pool)."""
        if self.alive():
            os.killpg(self.pid, sig)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.alive():
            self.signal(signal.SIGCONT)  # a frozen process cannot die of SIGTERM
            self.signal(signal.SIGKILL)
        self.process.wait(timeout=10)


class RedisServer(_Process):
    """A private redis-server without persistence (a restart loses everything, as in docs/reliability.md row 38)."""

    def __init__(self):
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_for(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        if not self.alive():  # the port was taken meanwhile: never talk to someone else's Redis
            raise AssertionError(f"redis-server on port {self.port} exited")
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def restart(self) -> None:
        """Stop and start on the same port: every key (queued messages) is gone."""
        self.process.terminate()
        self.process.wait(timeout=10)
        self.start()

    def freeze(self) -> None:
        self.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def queued(self, queue: str) -> int:
        return self.client().llen(queue)


class Worker(_Process):
    """`celery -A courseproj worker` on the drill's Redis and the test database.

    It imports tests.drills.faults, which injects the faults its environment
    asks for (nothing by default). Its log file is how a drill sees what each
    delivery did (the task returns "profiled", "nothing to claim", ...).
    """

    def __init__(self, *, name: str, env: dict, log_dir: Path, beat: bool = False, concurrency: int = 1):
        self.name = name
        self.hostname = f"{name}@drills"
        self.env = env
        self.beat = beat
        self.concurrency = concurrency
        self.log = log_dir / f"{name}.log"
        self.schedule = log_dir / f"{name}-beat-schedule"

    def launch(self) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "courseproj", "worker", "-Q", "default,profiling",
            "--concurrency", str(self.concurrency), "--pool", "prefork", "-n", self.hostname,
            "--without-gossip", "--without-mingle", "--loglevel", "INFO", "--include", "tests.drills.faults",
        ]
        if self.beat:
            command += ["--beat", "--schedule", str(self.schedule)]
        # Django's LOGGING sends Celery's records to stderr (the worker does not hijack the root logger).
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> float:
        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"worker {self.name} exited: {self.text()[-3000:]}")
            return f"{self.hostname} ready." in self.text()

        return wait_for(ready, timeout=timeout, what=f"worker {self.name} to be ready", interval=0.2)

    def start(self) -> "Worker":
        self.launch()
        self.wait_ready()
        return self

    def children(self) -> list[int]:
        """PIDs of the pool children (from /proc: no psutil needed)."""
        try:
            return [int(pid) for pid in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        except FileNotFoundError:
            return []

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def reported(self, count: int, timeout: float = 10) -> list[str]:
        """The outcomes once at least `count` deliveries have reported (the log line follows the row's update)."""
        wait_for(lambda: len(self.outcomes()) >= count, timeout=timeout, what=f"{self.name} to report {count} outcome(s)")
        return self.outcomes()

    def outcomes(self) -> list[str]:
        """What each profile_job_run delivery reported, in order."""
        found = []
        for line in self.text().splitlines():
            if "datasets.profile_job_run[" in line and " succeeded in " in line:
                found.append(line.rsplit(": ", 1)[-1].strip().strip("'\""))
        return found


class WebServer(_Process):
    """The app under gunicorn on the test database, as the drills' web side: production's config
    (deploy/gunicorn.conf.py: ASGI workers, courseproj/serving.py) with two workers on a free port."""

    def __init__(self, *, env: dict, log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = log_dir / "web.log"

    def start(self) -> "WebServer":
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "courseproj.asgi:application",
                 "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "60", "--log-level", "warning"],
                cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )

        def answers() -> bool:
            if not self.alive():
                raise AssertionError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2)
                return True
            except (OSError, urllib.error.URLError):
                return False

        wait_for(answers, timeout=30, what="gunicorn to answer", interval=0.2)
        return self
