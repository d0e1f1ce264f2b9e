"""The in-class activity under load: pick-to-projector latency and 300 students picking at once.

Runs the production profile on this machine — gunicorn with its ASGI workers
(deploy/gunicorn.conf.py), PostgreSQL, Redis — against a fresh database
`courseproj_bench`:

1. Seed a course with 40 datasets and N students, each with a logged-in
   session (sessions are made directly so the measurement is about picking,
   not about password hashing).
2. Quiet phase: one student makes P picks one after another while the
   projector follows the board as the page does: holding its server-sent
   event stream (--transport sse, the default) or polling every 500 ms with
   its ETag (--transport poll). Pick-to-projector latency = from sending the
   pick to the first board the projector receives that shows it.
3. Polling only, as a reference in the same run: the poll with its ETag (304)
   against a full board render, alternating.
4. Load phase: N students each pick and re-pick 3–5 times at random moments
   within S seconds while the projector follows and, with --phones M, M phones
   (logged-in students, the N pickers among them) follow their ranking page
   exactly as live.js does. With streams: each phone holds its stream, fills
   its who-lines from the events, and refetches its fragment (after a random
   0–3 s) when the page's state moved or one of its own picks stopped or
   started being alone; a student's own pick redraws their page from the
   pick's answer. With polling: every 2 s with X-Live and the page's ETag.
   The web processes' CPU (gunicorn's master and workers, from /proc) is
   reported as a share of the machine, next to the machine's own busy share
   and the bench client's.
5. Audit: every student's final list in the database equals the list the
   client saw confirmed; the final board's counts, and one phone's who-line
   counts, equal the database's.

Usage: .venv/bin/python bench/live_bench.py [--transport sse|poll] [--students 300] [--phones 1000]
       [--seconds 60] [--picks 120] [--workers 4] [--threads 2]
Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see RECIPES). Loopback only;
every client stops when the phase's time is up (polling phones: at most seconds / 2 polls each).
"""
import argparse
import asyncio
import http.client
import json
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "courseproj_bench"
PG = "postgres://postgres@127.0.0.1:5432"
POLL_SECONDS = 0.5
# A tile of the board: its title, the names (or the one lonely student) and the count.
TILE = re.compile(r'<li class="tile[^"]*"[^>]*>(.*?)</li>', re.S)
TILE_TITLE = re.compile(r'<p class="tile__title">(.*?)</p>', re.S)
TILE_COUNT = re.compile(r'<p class="tile__count">(\d+)')
TILE_NAMES = re.compile(r'<span class="tile__(?:name|who)">(.*?)</span>')
PHONE_POLL_SECONDS = 2.0
# A student's page: its state and each who-line's count (templates/matching/_who.html).
PAGE_STATE = re.compile(r'data-live-state="([^"]*)"')
WHO_COUNT = re.compile(r'data-who="(\d+)" data-count="(\d+)"')
STUDENT_NAME = re.compile(r"Student \d{3}")
REFETCH_JITTER = 3.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) of a process and its direct children (gunicorn's workers), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that just ended
        if int(stat.parent.name) == root_pid or int(fields[1]) == root_pid:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


def fmt_ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:7.1f} ms  p95 {pct(values, 95) * 1000:7.1f} ms  p99 {pct(values, 99) * 1000:7.1f} ms  (n={len(values)})"


def version_of(etag: str | None) -> int:
    match = re.search(r"-(\d+)\"?$", etag or "")
    return int(match.group(1)) if match else 0


# --- set-up -------------------------------------------------------------------------


def environment(var_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "COURSEPROJ_NO_BOOTSTRAP": "1",
        "DJANGO_SETTINGS_MODULE": "courseproj.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "COURSEPROJ_VAR_DIR": var_dir,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }


def fresh_database(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


@dataclass
class Student:
    name: str
    session: str
    csrf: str
    confirmed: list[int] = field(default_factory=list)
    etag: str | None = None  # of the ranking page this student's phone loaded
    # What this student's page shows (a phone on streams): its state, each who-line's count, its version.
    state: str = ""
    counts: dict[int, int] = field(default_factory=dict)
    version: int = 0

    def cookie(self) -> str:
        return f"sessionid={self.session}; csrftoken={self.csrf}"

    def redrawn(self, body: bytes, etag: str | None) -> None:
        """The page drew this fragment (its own pick's answer, or a refetch)."""
        text = body.decode(errors="replace")
        state = PAGE_STATE.search(text)
        if state:
            self.state = state.group(1)
        self.counts.update({int(d): int(n) for d, n in WHO_COUNT.findall(text)})
        self.version = max(self.version, version_of(etag))


def seed(env: dict[str, str], students: int) -> tuple[int, str, dict[int, str], list[Student]]:
    """Course, 40 datasets and logged-in students, made in a child process (Django set up there)."""
    code = f"""
import json, django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import _get_new_csrf_string
from courseproj.courses.models import Course, Membership, User
from datasets.models import Dataset
course = Course.objects.create(title="Bench course", ranking_size=3)
datasets = Dataset.objects.bulk_create(Dataset(course=course, title=f"Dataset {{i:02d}}", tags="bench") for i in range(40))
out = {{"course": course.pk, "token": course.display_token, "datasets": {{d.pk: d.title for d in datasets}}, "students": []}}
for n in range({students}):
    user = User.objects.create_user(f"s{{n:03d}}@bench.example", None, name=f"Student {{n:03d}}")
    Membership.objects.create(course=course, user=user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    out["students"].append([user.name, session.session_key, _get_new_csrf_string()])
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    datasets = {int(k): v for k, v in data["datasets"].items()}
    return data["course"], data["token"], datasets, [Student(n, s, c) for n, s, c in data["students"]]


def start_server(env: dict[str, str], port: int, workers: int, threads: int, server: str) -> subprocess.Popen:
    """asgi: production's config (deploy/gunicorn.conf.py); wsgi: sync workers, as measured before streams."""
    common = ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
              "--log-level", "warning"]
    if server == "asgi":
        command = ["-c", "deploy/gunicorn.conf.py", "courseproj.asgi:application", *common,
                   "--access-logfile", "/dev/null"]  # written, as in production, but not to this screen
    else:
        command = ["courseproj.wsgi", *common]
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", *command], cwd=ROOT, env=env)
    deadline = time.monotonic() + 120  # a busy shared machine boots four workers slowly
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


# --- clients ---------------------------------------------------------------------------


class Client:
    def __init__(self, port: int, student: Student | None = None):
        self.port = port
        self.student = student

    def request(self, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes, float]:
        headers = dict(headers or {})
        if self.student:
            headers["Cookie"] = self.student.cookie()
            if method == "POST":
                headers["X-CSRFToken"] = self.student.csrf
                headers["Content-Length"] = "0"
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return response.status, dict(response.getheaders()), body, time.perf_counter() - start
        finally:
            conn.close()


def sse_events(buffer: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """The complete server-sent events in `buffer` as (name, data), and what is left of it."""
    events = []
    while b"\n\n" in buffer:
        block, buffer = buffer.split(b"\n\n", 1)
        name, data = "message", []
        for line in block.decode(errors="replace").split("\n"):
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)
        if data or name != "message":
            events.append((name, "\n".join(data)))
    return events, buffer


@dataclass
class Projector:
    """Follows the board like the projector page (a stream, or polls) and notes when each (dataset, student) first shows."""

    client: Client
    token: str
    transport: str = "sse"
    use_etag: bool = True
    latencies: list[float] = field(default_factory=list)  # polls: each poll's time
    errors: int = 0
    events: int = 0
    seen_at: dict[tuple[str, str], float] = field(default_factory=dict)
    board: dict[str, tuple[int, set[str]]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    _conn: http.client.HTTPConnection | None = None

    def run(self) -> None:
        self.follow_stream() if self.transport == "sse" else self.poll()

    def halt(self) -> None:
        self.stop.set()
        conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked read
            except OSError:
                pass

    def take(self, body: str) -> None:
        now = time.perf_counter()
        self.board = {}
        for tile in TILE.findall(body):
            title, count = TILE_TITLE.search(tile), TILE_COUNT.search(tile)
            if not (title and count):
                continue
            people = set(TILE_NAMES.findall(tile))
            self.board[title.group(1)] = (int(count.group(1)), people)
            for name in people:
                self.seen_at.setdefault((title.group(1), name), now)

    def follow_stream(self) -> None:
        while not self.stop.is_set():
            planned = False
            try:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.client.port, timeout=60)
                self._conn.request("GET", f"/display/{self.token}/stream/", headers={"Accept": "text/event-stream"})
                response = self._conn.getresponse()
                if response.status != 200:
                    self.errors += 1
                    response.read()
                    self.stop.wait(1)
                    continue
                buffer = b""
                while not self.stop.is_set():
                    data = response.read1(65536)
                    if not data:
                        break
                    events, buffer = sse_events(buffer + data)
                    for name, text in events:
                        self.events += 1
                        if name == "board":
                            self.take(text)
                        planned = planned or name == "bye"
            except (OSError, http.client.HTTPException):
                pass
            finally:
                self._conn.close()
            if not self.stop.is_set() and not planned:
                self.errors += 1
                self.stop.wait(1)

    def poll(self) -> None:
        etag = None
        path = f"/display/{self.token}/board/"
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status, headers, body, seconds = self.client.request(
                    "GET", path, {"X-Live": "1", **({"If-None-Match": etag} if etag and self.use_etag else {})}
                )
            except OSError:
                self.errors += 1
                status, seconds = 0, 0.0
            if status in (200, 304):
                self.latencies.append(seconds)
            else:
                self.errors += 1
            if status == 200:
                etag = headers.get("ETag")
                self.take(body.decode())
            self.stop.wait(max(0.0, POLL_SECONDS - (time.perf_counter() - started)))


def pick(client: Client, course: int, dataset: int, action: str) -> tuple[int, float, bytes, str | None]:
    status, headers, body, seconds = client.request("POST", f"/c/{course}/interests/{dataset}/{action}/",
                                                    {"HX-Request": "true"})
    return status, seconds, body, headers.get("ETag")


# --- phones on streams (one asyncio loop for all of them) ---------------------------------


async def _read_body(reader: asyncio.StreamReader, chunked: bool):
    """The body of an HTTP/1.1 response as it arrives (chunked, or until the connection closes)."""
    if not chunked:
        while data := await reader.read(65536):
            yield data
        return
    while True:
        line = await reader.readline()
        if not line:
            return
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return
        data = await reader.readexactly(size)
        await reader.readexactly(2)
        yield data


async def _open(port: int, path: str, student: Student, headers: dict) -> tuple[int, dict, asyncio.StreamReader,
                                                                               asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", f"Cookie: {student.cookie()}",
             *(f"{k}: {v}" for k, v in headers.items())]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
    return status, fields, reader, writer


class Phones:
    """Phones holding their stream as live.js does: who-lines filled from events, a refetch when the page's state
    moved or one of its own picks stopped or started being alone. One of them notes when each name shows."""

    def __init__(self, port: int, course: int, phones: list[Student], datasets: dict[int, str]):
        self.port, self.course, self.phones, self.datasets = port, course, phones, datasets
        self.errors: list[str] = []
        self.connected = 0
        self.settled = 0  # phones whose first connection succeeded or failed
        self.connect_times: list[float] = []
        self.events = 0
        self.bytes = 0
        self.refetches: list[float] = []
        self.observer = phones[-1]
        self.seen_at: dict[tuple[str, str], float] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task] = []
        self.ready = threading.Event()
        self.stopping = False

    def start(self, concurrency: int = 32) -> threading.Thread:
        thread = threading.Thread(target=lambda: asyncio.run(self._main(concurrency)), daemon=True)
        thread.start()
        return thread

    async def _main(self, concurrency: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.done = asyncio.Event()
        gate = asyncio.Semaphore(concurrency)  # a class trickles in: a few connect at a time
        self.tasks = [asyncio.create_task(self._phone(phone, gate)) for phone in self.phones]
        await self.done.wait()
        for task in self.tasks:  # the phones and their pending refetches
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def stop(self) -> None:
        self.stopping = True
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.done.set)

    async def _phone(self, phone: Student, gate: asyncio.Semaphore) -> None:
        first = True
        refetching: list[bool] = [False]
        while not self.stopping:
            planned, writer = False, None
            try:
                async with (gate if first else _nothing()):
                    began = time.perf_counter()
                    status, fields, reader, writer = await _open(
                        self.port, f"/c/{self.course}/interests/stream/", phone, {"Accept": "text/event-stream"})
                    if status != 200:
                        self.errors.append(f"stream: HTTP {status}")
                        self._settle(first)
                        first = False
                        await asyncio.sleep(5)
                        continue
                    buffer, body = b"", _read_body(reader, "chunked" in fields.get("transfer-encoding", ""))
                    data = await anext(body)
                    if first:
                        self.connect_times.append(time.perf_counter() - began)
                        self.connected += 1
                        self._settle(first)
                        first = False
                while True:
                    self.bytes += len(data)
                    events, buffer = sse_events(buffer + data)
                    for name, text in events:
                        self.events += 1
                        planned = planned or name == "bye"
                        if name == "who":
                            self._who(phone, json.loads(text), refetching)
                    data = await anext(body, b"")
                    if not data:
                        break
            except asyncio.CancelledError:
                raise
            except (OSError, asyncio.IncompleteReadError, ValueError, StopAsyncIteration) as error:
                if not self.stopping:
                    self.errors.append(f"stream: {type(error).__name__} {error}")
                self._settle(first)
                first = False
            finally:
                if writer is not None:
                    writer.close()
            if not planned and not self.stopping:
                self.errors.append("stream: ended without bye")
                await asyncio.sleep(random.uniform(2, 5))  # EventSource's retry

    def _settle(self, first: bool) -> None:
        if first:
            self.settled += 1
            if self.settled == len(self.phones):
                self.ready.set()

    def _who(self, phone: Student, payload: dict, refetching: list[bool]) -> None:
        if payload["version"] < phone.version:
            return  # older than the page (its own pick's answer)
        phone.version = payload["version"]
        refetch = payload["state"] != phone.state
        now = time.perf_counter()
        for dataset, (count, html) in payload["who"].items():
            before = phone.counts.get(int(dataset))
            phone.counts[int(dataset)] = count
            if int(dataset) in phone.confirmed and (before == 1) != (count == 1):
                refetch = True
            if phone is self.observer:
                for name in STUDENT_NAME.findall(html):
                    self.seen_at.setdefault((self.datasets[int(dataset)], name), now)
        if refetch and not refetching[0]:
            refetching[0] = True
            self.tasks.append(asyncio.get_running_loop().create_task(self._refetch(phone, refetching)))

    async def _refetch(self, phone: Student, refetching: list[bool]) -> None:
        await asyncio.sleep(random.uniform(0, REFETCH_JITTER))
        writer = None
        try:
            began = time.perf_counter()
            status, fields, reader, writer = await _open(
                self.port, f"/c/{self.course}/interests/", phone, {"X-Live": "1", "Connection": "close"})
            body = b"".join([chunk async for chunk in _read_body(reader, "chunked" in fields.get("transfer-encoding", ""))])
            if status != 200:
                self.errors.append(f"refetch: HTTP {status}")
            else:
                self.refetches.append(time.perf_counter() - began)
                phone.redrawn(body, fields.get("etag"))
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            if not self.stopping:
                self.errors.append(f"refetch: {type(error).__name__}")
        finally:
            refetching[0] = False
            if writer is not None:
                writer.close()


class _nothing:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


# --- phases ------------------------------------------------------------------------------


def follow(projector: Projector) -> threading.Thread:
    thread = threading.Thread(target=projector.run, daemon=True)
    thread.start()
    return thread


def quiet_phase(port: int, course: int, token: str, datasets: dict[int, str], prober: Student, picks: int,
                transport: str) -> list[float]:
    projector = Projector(Client(port), token, transport)
    thread = follow(projector)
    time.sleep(1)
    client = Client(port, prober)
    rng = random.Random(1)
    recent: list[int] = []  # a dataset the prober just left may still show them for one poll
    latencies = []
    for _ in range(picks):
        if len(prober.confirmed) == 3:
            oldest = prober.confirmed.pop(0)
            pick(client, course, oldest, "remove")
        dataset = rng.choice([d for d in datasets if d not in prober.confirmed and d not in recent])
        recent = (recent + [dataset])[-6:]
        key = (datasets[dataset], prober.name)
        projector.seen_at.pop(key, None)
        sent = time.perf_counter()
        status = pick(client, course, dataset, "add")[0]
        if status != 200:
            continue
        prober.confirmed.append(dataset)
        deadline = sent + 5
        while key not in projector.seen_at and time.perf_counter() < deadline:
            time.sleep(0.005)
        if key in projector.seen_at:
            latencies.append(projector.seen_at[key] - sent)
        time.sleep(rng.uniform(0, POLL_SECONDS))
    projector.halt()
    thread.join()
    return latencies


def poll_reference(port: int, token: str, rounds: int = 200) -> tuple[list[float], list[float]]:
    """The poll with its ETag (304) against a full render, alternating, in the same run."""
    client = Client(port)
    path = f"/display/{token}/board/"
    etag = client.request("GET", path, {"X-Live": "1"})[1]["ETag"]
    cheap, full = [], []
    for _ in range(rounds):
        cheap.append(client.request("GET", path, {"X-Live": "1", "If-None-Match": etag})[3])
        full.append(client.request("GET", path, {"X-Live": "1"})[3])
    return cheap, full


def phones_load_their_page(port: int, course: int, phones: list[Student], concurrency: int = 8) -> int:
    """Each phone opens its ranking page once, as students do when they join (not timed): the page's
    ETag, state and who-lines are where it starts from. A few at a time, as a class trickles in. Returns failures."""
    from concurrent.futures import ThreadPoolExecutor

    def load(student: Student) -> bool:
        try:
            status, headers, body, _ = Client(port, student).request("GET", f"/c/{course}/interests/")
        except OSError:
            return False
        student.etag = headers.get("ETag")
        student.redrawn(body, student.etag)
        return status == 200

    with ThreadPoolExecutor(concurrency) as pool:
        return sum(not ok for ok in pool.map(load, phones))


def load_phase(port, course, token, datasets, students, seconds, phones, server_pid, transport):
    projector = Projector(Client(port), token, transport)
    ids = list(datasets)
    pick_times: list[float] = []
    poll_times: list[float] = []
    errors: list[str] = []
    adds: list[tuple[str, str, float]] = []
    lock = threading.Lock()
    stop = threading.Event()
    poll_statuses: dict[int, int] = {}

    def student_run(student: Student, seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port, student)
        moments = sorted(rng.uniform(0, seconds) for _ in range(rng.randint(3, 5)))
        begin = time.perf_counter()
        for moment in moments:
            while time.perf_counter() - begin < moment:
                time.sleep(max(0.0, min(0.05, moment - (time.perf_counter() - begin))))
            if len(student.confirmed) < 3 and (not student.confirmed or rng.random() < 0.7):
                dataset, action = rng.choice([d for d in ids if d not in student.confirmed]), "add"
            else:
                dataset, action = rng.choice(student.confirmed), rng.choice(["remove", "up", "down"])
            sent = time.perf_counter()
            try:
                status, took, body, etag = pick(client, course, dataset, action)
            except OSError as error:
                with lock:
                    errors.append(f"{action}: {error}")
                continue
            with lock:
                pick_times.append(took)
                if status != 200:
                    errors.append(f"{action}: HTTP {status}")
                    continue
                if action == "add":
                    student.confirmed.append(dataset)
                    adds.append((datasets[dataset], student.name, sent))
                elif action == "remove":
                    student.confirmed.remove(dataset)
                else:
                    i = student.confirmed.index(dataset)
                    j = max(0, min(len(student.confirmed) - 1, i + (-1 if action == "up" else 1)))
                    student.confirmed.insert(j, student.confirmed.pop(i))
            student.redrawn(body, etag)  # the page draws its own pick's answer (htmx)

    def phone_poll(student: Student, seed: int) -> None:
        client = Client(port, student)
        etag = student.etag
        stop.wait(random.Random(seed).uniform(0, PHONE_POLL_SECONDS))
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status, headers, _, took = client.request(
                    "GET", f"/c/{course}/interests/", {"X-Live": "1", **({"If-None-Match": etag} if etag else {})}
                )
            except OSError as error:
                with lock:
                    errors.append(f"phone poll: {error}")
                stop.wait(PHONE_POLL_SECONDS)
                continue
            with lock:
                poll_times.append(took)
                poll_statuses[status] = poll_statuses.get(status, 0) + 1
                if status not in (200, 304):
                    errors.append(f"phone poll: HTTP {status}")
            etag = headers.get("ETag") or etag
            # Every 2 s from the start of the last poll, as the page's timer does after an answer.
            stop.wait(max(0.0, PHONE_POLL_SECONDS - (time.perf_counter() - started)))

    threading.stack_size(256 * 1024)  # a thousand phones: small stacks
    streams = None
    if phones and transport == "sse":
        streams = Phones(port, course, phones, datasets)
        streams_thread = streams.start()
        began = time.perf_counter()
        streams.ready.wait(timeout=300)
        print(f"   {streams.connected} of {len(phones)} phones hold their stream"
              f" (connected in {time.perf_counter() - began:.1f} s, 32 at a time; connect {fmt_ms(streams.connect_times)})")
    projector_thread = follow(projector)
    time.sleep(1)
    threads = [threading.Thread(target=student_run, args=(s, i), daemon=True) for i, s in enumerate(students)]
    if transport == "poll":
        threads += [threading.Thread(target=phone_poll, args=(s, i), daemon=True) for i, s in enumerate(phones)]
    events_before = streams.events if streams else 0
    bytes_before = streams.bytes if streams else 0
    cpu_before, machine_before, client_before = cpu_seconds(server_pid), machine_busy(), sum(os.times()[:2])
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads[: len(students)]:
        thread.join()
    stop.set()
    for thread in threads[len(students):]:
        thread.join()
    time.sleep(max(POLL_SECONDS * 3, REFETCH_JITTER + 1))  # let the projector and the refetches catch the last picks
    elapsed = time.perf_counter() - started
    machine_after = machine_busy()
    cpu = {
        "web": cpu_seconds(server_pid) - cpu_before,
        "client": sum(os.times()[:2]) - client_before,
        "machine_busy": machine_after[0] - machine_before[0],
        "machine_total": machine_after[1] - machine_before[1],
    }
    projector.halt()
    projector_thread.join()
    if streams:
        streams.stop()
        streams_thread.join(timeout=30)
        errors += streams.errors
    # A pick may be undone before the projector saw it: only count adds still on the board.
    to_projector = [projector.seen_at[(t, n)] - sent for t, n, sent in adds if (t, n) in projector.seen_at]
    to_phone = [streams.seen_at[(t, n)] - sent for t, n, sent in adds if streams and (t, n) in streams.seen_at]
    return {
        "elapsed": elapsed, "pick_times": pick_times, "poll_times": poll_times, "errors": errors,
        "projector": projector, "to_projector": to_projector, "to_phone": to_phone, "adds": len(adds), "cpu": cpu,
        "poll_statuses": poll_statuses, "streams": streams,
        "events": (streams.events - events_before) if streams else 0,
        "bytes": (streams.bytes - bytes_before) if streams else 0,
    }


def audit(env: dict[str, str], course: int, datasets: dict[int, str], students: list[Student], board: dict,
          phone: Student | None) -> list[str]:
    """Compare the database with what the clients saw confirmed, the projector's last board and one phone's who-lines."""
    code = f"""
import json, django
django.setup()
from matching.models import Interest
rows = Interest.objects.filter(course_id={course}).order_by("student__name", "rank").values_list("student__name", "dataset__title")
lists = {{}}
for name, title in rows:
    lists.setdefault(name, []).append(title)
print(json.dumps(lists))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    in_db = json.loads(done.stdout.strip().splitlines()[-1])
    interested: dict[str, int] = {}
    problems = []
    for student in students:
        expected = [datasets[d] for d in student.confirmed]
        if in_db.get(student.name, []) != expected:
            problems.append(f"{student.name}: database {in_db.get(student.name)} != confirmed {expected}")
        for title in expected:
            interested[title] = interested.get(title, 0) + 1
    for title, (count, _) in board.items():
        if count != interested.get(title, 0):
            problems.append(f"board shows {count} for {title}, database has {interested.get(title, 0)}")
    if phone is not None:
        for dataset, count in phone.counts.items():
            if count != interested.get(datasets[dataset], 0):
                problems.append(f"a phone shows {count} for {datasets[dataset]}, "
                                f"database has {interested.get(datasets[dataset], 0)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=["sse", "poll"], default="sse",
                        help="how the projector and the phones follow the board (poll: the reference)")
    parser.add_argument("--server", choices=["asgi", "wsgi"], default=None,
                        help="asgi: production's config; wsgi: sync workers (default: asgi for sse, wsgi for poll)")
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--picks", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: 2 asgi, 1 wsgi)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--phones", type=int, default=0,
                        help="phones following their ranking page (logged-in students; the pickers among them)")
    args = parser.parse_args()
    server_kind = args.server or ("asgi" if args.transport == "sse" else "wsgi")
    threads = args.threads or (2 if server_kind == "asgi" else 1)
    if args.transport == "sse" and server_kind != "asgi":
        raise SystemExit("streams need the ASGI server (--server asgi)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a thousand phones' sockets

    var_dir = tempfile.mkdtemp(prefix="courseproj-bench-")
    env = environment(var_dir)
    print(f"Setting up: database {DB_NAME}, {args.students} students, 40 datasets, gunicorn ({server_kind}) with "
          f"{args.workers} workers × {threads} threads; the pages follow the board by "
          f"{'server-sent events' if args.transport == 'sse' else 'polling'}…")
    fresh_database(env)
    course, token, datasets, people = seed(env, max(args.students, args.phones) + 1)
    prober, students, phones = people[0], people[1: args.students + 1], people[1: args.phones + 1]
    server = start_server(env, args.port, args.workers, threads, server_kind)
    try:
        how = "holding its stream" if args.transport == "sse" else f"polling every {POLL_SECONDS * 1000:.0f} ms"
        print(f"\n1. Quiet phase: {args.picks} picks by one student, the projector {how}")
        quiet = quiet_phase(args.port, course, token, datasets, prober, args.picks, args.transport)
        print(f"   pick-to-projector  {fmt_ms(quiet)}")

        if args.transport == "poll":
            print("\n2. The projector's poll: with its ETag (304) vs a full render, alternating, same run")
            cheap, full = poll_reference(args.port, token)
            print(f"   304 poll           {fmt_ms(cheap)}")
            print(f"   full render        {fmt_ms(full)}")
            print(f"   ratio (median)     {statistics.median(cheap) / statistics.median(full):.2f} of a full render")
        else:
            print("\n2. (The poll reference: --transport poll.)")

        phones_how = (" hold their stream" if args.transport == "sse" else " poll their page every 2 s")
        print(f"\n3. Load: {len(students)} students pick and re-pick within {args.seconds:.0f} s"
              f"{f' while {len(phones)} phones{phones_how}' if phones else ''}; the projector {how}")
        if phones:
            failed = phones_load_their_page(args.port, course, phones)
            print(f"   {len(phones)} phones opened their ranking page ({failed} failed)")
        result = load_phase(args.port, course, token, datasets, students, args.seconds, phones, server.pid,
                            args.transport)
        report(result, args)

        print("\n4. Audit: database vs confirmed picks vs the projector's last board vs a phone's who-lines")
        streams = result["streams"]
        problems = audit(env, course, datasets, [prober, *students], result["projector"].board,
                         streams.observer if streams else None)
        print(f"   {len(problems)} problem(s)" + "".join(f"\n   - {p}" for p in problems[:10]))
    finally:
        server.terminate()
        server.wait(timeout=60)


def report(result: dict, args) -> None:
    projector, elapsed = result["projector"], result["elapsed"]
    if args.transport == "sse":
        print(f"   requests: {len(result['pick_times'])} picks in {elapsed:.1f} s; the projector got"
              f" {projector.events} events")
    else:
        print(f"   requests: {len(result['pick_times'])} picks, {len(projector.latencies)} projector polls, "
              f"{len(result['poll_times'])} phone polls in {elapsed:.1f} s")
    print(f"   pick (POST)        {fmt_ms(result['pick_times'])}")
    if projector.latencies:
        print(f"   projector poll     {fmt_ms(projector.latencies)}")
    if result["poll_times"]:
        statuses = ", ".join(f"{n} × {status}" for status, n in sorted(result["poll_statuses"].items()))
        print(f"   phone poll         {fmt_ms(result['poll_times'])}  ({statuses};"
              f" {len(result['poll_times']) / elapsed:.0f} polls/s)")
    streams = result["streams"]
    if streams:
        print(f"   phones' streams    {result['events']} events, {result['bytes'] / 1e6:.1f} MB"
              f" ({result['events'] / max(1, len(streams.phones)) / elapsed:.2f} events/s per phone)")
        print(f"   phone refetches    {fmt_ms(streams.refetches)}")
        print(f"   pick-to-phone      {fmt_ms(result['to_phone'])}  (one phone's who-lines)")
    print(f"   pick-to-projector  {fmt_ms(result['to_projector'])}  ({len(result['to_projector'])} of {result['adds']} adds still on the board)")
    errors = result["errors"] + ["projector: failed"] * projector.errors
    print(f"   errors: {len(errors)}" + (f" — first: {errors[:5]}" if errors else ""))
    cpu, cores = result["cpu"], os.cpu_count()
    print(f"   CPU over {elapsed:.0f} s on {cores} cores: web processes {cpu['web']:.0f} s"
          f" = {cpu['web'] / cpu['machine_total']:.0%} of the machine ({cpu['web'] / elapsed:.2f} cores);"
          f" bench client {cpu['client'] / cpu['machine_total']:.0%};"
          f" whole machine busy {cpu['machine_busy'] / cpu['machine_total']:.0%}")


if __name__ == "__main__":
    main()
