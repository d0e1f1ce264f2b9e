"""A class morning against the production profile: 300 students log in, rank, re-rank and upload.

Runs on this machine, on loopback, what deploy/ runs in production: gunicorn
with deploy/gunicorn.conf.py and DEBUG off (HTTPS as a proxy would declare it:
X-Forwarded-Proto, HSTS, secure cookies), PostgreSQL (a fresh database
`courseproj_class_morning`), Redis (a private redis-server on a free port, so
nothing is flushed on the shared one), a Celery worker (at nice 10, as
deploy/systemd runs it, so the web gets the cores first) and a beat.

1. Seed: an instructor, 12 catalog datasets, N students with verified emails
   and real passwords (Django's default hasher, PBKDF2-SHA256 with 1,000,000
   iterations: each login really checks one).
2. Morning: the students arrive spread over S seconds, all from 127.0.0.1 (one
   school NAT address): login form, sign in with the password (allauth's rate
   limits in force), their ranking page, three picks and one to three re-ranks
   with a few seconds' thought between clicks, their page again. Every tenth
   also uploads a CSV of a few thousand rows (distinct per student) through the
   upload form, which queues a real profiling job. Meanwhile the projector polls
   the board with its ETag every 500 ms, and a reference client fetches a static
   file and /health/ once a second (what the machine itself costs right now).
3. Audit: every student signed in; every pick the client saw confirmed is the
   database's ranking; every upload is a Dataset with its file and a profiling
   job, and every job is done within --job-wait seconds.

Latency percentiles per page, errors, and the audit are printed. Bars (issue 7):
0 errors; p95 <= 150 ms on student pages and <= 50 ms on the projector poll;
nothing missing. The password check is a deliberate cost of its own, printed
next to the login.

Usage: .venv/bin/python bench/class_morning.py [--students 300] [--uploads 30] [--seconds 120]
       [--workers N] [--worker-nice 10] [--job-wait 300]
Needs PostgreSQL on 127.0.0.1:5432 and redis-server on the PATH (see RECIPES).
"""
import argparse
import http.client
import io
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_bench import fmt_ms, pct  # noqa: E402  (the same percentile helpers)

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "courseproj_class_morning"
PG = "postgres://postgres@127.0.0.1:5432"
PASSWORD = "a class morning 2026"
POLL_SECONDS = 0.5
STUDENT_PAGES = ("login form", "interests", "pick", "upload form", "upload")
BARS_MS = {"student pages": 150, "projector poll": 50}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the production profile on loopback ----------------------------------------------


def environment(var_dir: str, redis_port: int, web_port: int, workers: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update({
        "COURSEPROJ_NO_BOOTSTRAP": "1",
        "DJANGO_SETTINGS_MODULE": "courseproj.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "COURSEPROJ_VAR_DIR": var_dir,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # As behind the TLS proxy of deploy/: it says https, the app redirects nothing.
        "DJANGO_BEHIND_PROXY": "true",
        "PORT": str(web_port),
        "GUNICORN_HOST": "127.0.0.1",
        "GUNICORN_LOG_LEVEL": "warning",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if os.environ.get("GUNICORN_THREADS"):
        env["GUNICORN_THREADS"] = os.environ["GUNICORN_THREADS"]
    return env


def start_redis(port: int, log_dir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(log_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for_port(port, "redis-server")
    return process


def wait_for_port(port: int, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


def fresh_database(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def django_script(env: dict[str, str], code: str) -> dict:
    """Run code in a child process with Django set up; it prints one JSON line."""
    done = subprocess.run([sys.executable, "-c", "import django, json\ndjango.setup()\n" + code], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def seed(env: dict[str, str], students: int) -> dict:
    return django_script(env, f"""
import time
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import check_password, make_password
from courseproj.courses.models import Course, Membership, User
from datasets.models import Dataset
started = time.perf_counter()
hashed = make_password({PASSWORD!r})  # one real PBKDF2 hash, shared: seeding 300 would take minutes
hash_seconds = time.perf_counter() - started
course = Course.objects.create(title="Class morning", ranking_size=3)
teacher = User.objects.create(email="teacher@school.example", password=hashed, name="The Teacher")
Membership.objects.create(course=course, user=teacher, role="instructor")
datasets = Dataset.objects.bulk_create(Dataset(course=course, title=f"Catalog set {{i:02d}}", tags="bench") for i in range(12))
users = User.objects.bulk_create(User(email=f"s{{n:03d}}@school.example", password=hashed, name=f"Student {{n:03d}}")
                                 for n in range({students}))
Membership.objects.bulk_create(Membership(course=course, user=u, role="student") for u in users)
EmailAddress.objects.bulk_create(EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users)
started = time.perf_counter()
check_password({PASSWORD!r}, hashed)
print(json.dumps({{"course": course.pk, "token": course.display_token, "datasets": [d.pk for d in datasets],
                  "students": [u.email for u in users], "hash_seconds": hash_seconds,
                  "check_seconds": time.perf_counter() - started}}))
""")


def start(env: dict[str, str], command: list[str], log: Path, nice: int = 0) -> subprocess.Popen:
    prefix = ["nice", "-n", str(nice)] if nice else []
    with open(log, "ab") as output:
        return subprocess.Popen(prefix + command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


# --- an HTTP client with cookies, as a browser behind the TLS proxy ----------------------


class Browser:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.origin = f"https://127.0.0.1:{port}"

    def request(self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None):
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.update({"Origin": self.origin, "Referer": self.origin + path, "Content-Length": str(len(body))})
            if "csrftoken" in self.cookies:
                headers.setdefault("X-CSRFToken", self.cookies["csrftoken"])
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        seconds = time.perf_counter() - began
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data, seconds


def form_token(html: bytes) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()


def urlencoded(fields: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
              f"Content-Type: text/csv\r\n\r\n".encode())
    out.write(content + b"\r\n" + f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def student_csv(seed: int, rows: int = 3000) -> bytes:
    """A distinct small classification table per student (a few thousand rows, ~150 KB)."""
    rng = random.Random(seed)
    lines = ["sepal,petal,width,height,colour,label"]
    for _ in range(rows):
        a, b = rng.gauss(5, 1), rng.gauss(3, 0.7)
        label = "yes" if a + rng.gauss(0, 1) > 5 else "no"
        lines.append(f"{a:.3f},{b:.3f},{rng.random():.4f},{rng.randint(1, 99)},{rng.choice('rgb')},{label}")
    return ("\n".join(lines) + "\n").encode()


# --- the morning ---------------------------------------------------------------------------


@dataclass
class Record:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    confirmed: dict[str, list[int]] = field(default_factory=dict)
    signed_in: set[str] = field(default_factory=set)
    uploads: dict[str, str] = field(default_factory=dict)  # email -> title
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, page: str, seconds: float, status: int, expected: tuple[int, ...], who: str) -> bool:
        with self.lock:
            self.times.setdefault(page, []).append(seconds)
            if status not in expected:
                self.errors.append(f"{page} ({who}): HTTP {status}")
                return False
        return True


def student_morning(port: int, course: int, datasets: list[int], email: str, number: int, arrive: float,
                    upload: bool, record: Record, began: float) -> None:
    rng = random.Random(number)
    browser = Browser(port)
    # One sleep until the arrival: 300 threads polling a clock would take the
    # cores the server needs (the load generator shares the machine).
    time.sleep(max(0.0, arrive - (time.perf_counter() - began)))
    try:
        status, _, html, took = browser.request("GET", "/accounts/login/")
        if not record.note("login form", took, status, (200,), email):
            return
        body = urlencoded({"csrfmiddlewaretoken": form_token(html), "login": email, "password": PASSWORD})
        status, headers, _, took = browser.request(
            "POST", "/accounts/login/", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        if not record.note("login (password check)", took, status, (302,), email) or headers.get("Location") != "/":
            with record.lock:
                record.errors.append(f"login ({email}): not signed in, sent to {headers.get('Location')}")
            return
        with record.lock:
            record.signed_in.add(email)
        status, _, _, took = browser.request("GET", f"/c/{course}/interests/")
        record.note("interests", took, status, (200,), email)

        mine: list[int] = []

        def click(dataset: int, action: str) -> None:
            time.sleep(rng.uniform(1, 4))  # a student reads and thinks between clicks
            status, _, _, took = browser.request("POST", f"/c/{course}/interests/{dataset}/{action}/",
                                                 headers={"HX-Request": "true"})
            if record.note("pick", took, status, (200,), email):
                if action == "add":
                    mine.append(dataset)
                elif action == "remove":
                    mine.remove(dataset)
                else:
                    i = mine.index(dataset)
                    j = max(0, min(len(mine) - 1, i + (-1 if action == "up" else 1)))
                    mine.insert(j, mine.pop(i))

        for dataset in rng.sample(datasets, 3):
            click(dataset, "add")
        for _ in range(rng.randint(1, 3)):  # re-ranking
            if rng.random() < 0.3 and mine:
                gone = rng.choice(mine)
                click(gone, "remove")
                click(rng.choice([d for d in datasets if d not in mine]), "add")
            elif mine:
                click(rng.choice(mine), rng.choice(["up", "down"]))
        with record.lock:
            record.confirmed[email] = list(mine)

        if upload:
            time.sleep(rng.uniform(1, 3))
            status, _, html, took = browser.request("GET", f"/c/{course}/datasets/upload/")
            record.note("upload form", took, status, (200,), email)
            title = f"Field data of {email.split('@')[0]}"
            body, content_type = multipart(
                {"csrfmiddlewaretoken": form_token(html), "title": title, "target_column": "label",
                 "description": "", "source": "", "licence": "", "tags": "bench"},
                "file", f"{email.split('@')[0]}.csv", student_csv(number))
            status, headers, _, took = browser.request(
                "POST", f"/c/{course}/datasets/upload/", body=body, headers={"Content-Type": content_type})
            if record.note("upload", took, status, (302,), email) and "/datasets/" in headers.get("Location", ""):
                with record.lock:
                    record.uploads[email] = title
        status, _, _, took = browser.request("GET", f"/c/{course}/interests/")
        record.note("interests", took, status, (200,), email)
    except (OSError, AttributeError) as error:  # a refused connection, a page without its form
        with record.lock:
            record.errors.append(f"{email}: {type(error).__name__}: {error}")


def poller(port: int, path: str, page: str, record: Record, stop: threading.Event, every: float,
           etag: bool = False) -> None:
    browser = Browser(port)
    tag = None
    while not stop.is_set():
        began = time.perf_counter()
        headers = {"X-Live": "1", **({"If-None-Match": tag} if tag else {})} if etag else {}
        try:
            status, response_headers, _, took = browser.request("GET", path, headers=headers)
        except OSError as error:
            with record.lock:
                record.errors.append(f"{page}: {error}")
        else:
            record.note(page, took, status, (200, 304) if etag else (200,), "poller")
            if etag and status == 200:
                tag = response_headers.get("ETag")
        stop.wait(max(0.0, every - (time.perf_counter() - began)))


def warm_up(port: int, token: str, timeout: float = 90) -> float:
    """Wait for /health/ to be green (database, broker, a worker consuming on each queue), then give
    every gunicorn process a few requests: a server in production has been up for a while."""
    began = time.perf_counter()
    while Browser(port).request("GET", "/health/")[0] != 200:
        if time.perf_counter() - began > timeout:
            raise SystemExit("/health/ never turned green: is the Celery worker consuming?")
        time.sleep(0.5)
    ready = time.perf_counter() - began

    def some_requests() -> None:
        for _ in range(4):
            for path in ("/accounts/login/", f"/display/{token}/board/", f"/display/{token}/", "/static/css/app.css"):
                Browser(port).request("GET", path)

    threads = [threading.Thread(target=some_requests) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ready


def audit(env: dict[str, str], course: int, record: Record, job_wait: float) -> tuple[list[str], dict]:
    code = f"""
from matching.models import Interest
from datasets.models import Dataset
from django.contrib.sessions.models import Session
lists = {{}}
for email, dataset in Interest.objects.filter(course_id={course}).order_by("student__email", "rank").values_list(
        "student__email", "dataset_id"):
    lists.setdefault(email, []).append(dataset)
uploads = {{d.title: [bool(d.file) and d.file.storage.exists(d.file.name), d.profile_job.status if d.profile_job else None,
                      d.profile_job.error_code if d.profile_job else ""]
           for d in Dataset.objects.filter(course_id={course}).exclude(title__startswith="Catalog set")
               .select_related("profile_job")}}
print(json.dumps({{"lists": lists, "uploads": uploads, "sessions": Session.objects.count()}}))
"""
    waited = time.perf_counter()
    while True:
        state = django_script(env, code)
        statuses = [status for _, status, _ in state["uploads"].values()]
        if all(status in ("done", "failed") for status in statuses) or time.perf_counter() - waited > job_wait:
            break
        time.sleep(2)
    problems = []
    for email, expected in record.confirmed.items():
        if state["lists"].get(email, []) != expected:
            problems.append(f"{email}: database ranking {state['lists'].get(email)} != confirmed {expected}")
    for email, title in record.uploads.items():
        stored, status, error = state["uploads"].get(title, (False, None, ""))
        if not stored:
            problems.append(f"{email}: upload {title!r} has no stored file or no Dataset row")
        if status != "done":
            problems.append(f"{email}: upload {title!r} job is {status} {error}".strip())
    extra = set(state["uploads"]) - set(record.uploads.values())
    if extra:
        problems.append(f"{len(extra)} dataset(s) nobody was told were saved: {sorted(extra)[:3]}")
    return problems, {"jobs_waited": time.perf_counter() - waited, "sessions": state["sessions"],
                      "job_statuses": {s: statuses.count(s) for s in set(statuses)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=120, help="arrivals spread over this long")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: the config's 2 x cores + 1)")
    parser.add_argument("--worker-nice", type=int, default=10,
                        help="the Celery worker's nice level: 10 as in deploy/systemd (0: same priority as the web)")
    parser.add_argument("--job-wait", type=float, default=300, help="seconds the audit waits for profiling jobs")
    parser.add_argument("--keep-logs", action="store_true", help="keep the run's folder (gunicorn's access log: "
                        "server-side milliseconds per request, to tell queueing from work)")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="courseproj-morning-"))
    redis_port, web_port = free_port(), free_port()
    env = environment(str(var_dir), redis_port, web_port, args.workers or None)
    redis = start_redis(redis_port, var_dir)
    processes: list[subprocess.Popen] = []
    try:
        print(f"Setting up: database {DB_NAME}, {args.students} students, redis-server on :{redis_port}, "
              f"gunicorn -c deploy/gunicorn.conf.py on :{web_port}, a Celery worker and a beat…", flush=True)
        fresh_database(env)
        seeded = seed(env, args.students)
        processes.append(start(env, [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                     "courseproj.asgi:application"], var_dir / "web.log"))
        processes.append(start(env, [sys.executable, "-m", "celery", "-A", "courseproj", "worker", "-Q",
                                     "default,profiling", "--loglevel", "WARNING"], var_dir / "worker.log",
                               nice=args.worker_nice))
        processes.append(start(env, [sys.executable, "-m", "celery", "-A", "courseproj", "beat", "--loglevel",
                                     "WARNING", "--schedule", str(var_dir / "beat-schedule")], var_dir / "beat.log"))
        wait_for_port(web_port, "gunicorn")
        ready = warm_up(web_port, seeded["token"])
        workers = args.workers or (2 * (os.cpu_count() or 1) + 1)
        print(f"   one password check (PBKDF2, Django's default): {seeded['check_seconds'] * 1000:.0f} ms; "
              f"gunicorn workers: {workers}; cores: {os.cpu_count()}; /health/ green {ready:.1f} s after start",
              flush=True)

        record = Record()
        stop = threading.Event()
        course, datasets = seeded["course"], seeded["datasets"]
        pollers = [
            threading.Thread(target=poller, args=(web_port, f"/display/{seeded['token']}/board/", "projector poll",
                                                  record, stop, POLL_SECONDS, True)),
            threading.Thread(target=poller, args=(web_port, "/static/css/app.css", "reference: static file", record,
                                                  stop, 1.0)),
            threading.Thread(target=poller, args=(web_port, "/health/", "reference: /health/", record, stop, 1.0)),
        ]
        rng = random.Random(7)
        arrivals = sorted(rng.uniform(0, args.seconds) for _ in seeded["students"])
        uploaders = set(range(0, len(seeded["students"]), max(1, len(seeded["students"]) // args.uploads))[: args.uploads])
        began = time.perf_counter()
        students = [
            threading.Thread(target=student_morning, args=(web_port, course, datasets, email, n, arrivals[n],
                                                           n in uploaders, record, began))
            for n, email in enumerate(seeded["students"])
        ]
        print(f"\n1. Morning: {len(students)} students arrive over {args.seconds:.0f} s from one address; "
              f"{len(uploaders)} upload a CSV; the projector polls every {POLL_SECONDS * 1000:.0f} ms", flush=True)
        for thread in pollers + students:
            thread.start()
        for thread in students:
            thread.join()
        elapsed = time.perf_counter() - began
        stop.set()
        for thread in pollers:
            thread.join()

        total = sum(len(v) for v in record.times.values())
        print(f"   {total} requests in {elapsed:.1f} s")
        order = ["login form", "login (password check)", "interests", "pick", "upload form", "upload",
                 "projector poll", "reference: static file", "reference: /health/"]
        for page in order:
            if page in record.times:
                print(f"   {page:<24} {fmt_ms(record.times[page])}")
        student_times = [t for page in STUDENT_PAGES for t in record.times.get(page, [])]
        student_p95 = pct(student_times, 95) * 1000
        projector_p95 = pct(record.times.get("projector poll", []), 95) * 1000
        login_p95 = pct(record.times.get("login (password check)", []), 95) * 1000
        print(f"   student pages together   p95 {student_p95:.1f} ms (bar {BARS_MS['student pages']} ms); "
              f"projector p95 {projector_p95:.1f} ms (bar {BARS_MS['projector poll']} ms)")
        print(f"   login p95 {login_p95:.0f} ms = one password check ({seeded['check_seconds'] * 1000:.0f} ms alone) "
              f"+ the page, queued behind other logins' checks")
        print(f"   errors: {len(record.errors)}" + "".join(f"\n   - {e}" for e in record.errors[:10]))

        print(f"\n2. Audit (waiting up to {args.job_wait:.0f} s for the profiling jobs)", flush=True)
        problems, facts = audit(env, course, record, args.job_wait)
        print(f"   signed in: {len(record.signed_in)} of {len(students)}; rankings checked: {len(record.confirmed)}; "
              f"uploads confirmed: {len(record.uploads)}; jobs {facts['job_statuses']} "
              f"({facts['jobs_waited']:.0f} s after the last student)")
        missing = len(students) - len(record.signed_in)
        if missing:
            problems.append(f"{missing} student(s) never signed in")
        print(f"   {len(problems)} problem(s)" + "".join(f"\n   - {p}" for p in problems[:10]))

        passed = (not record.errors and not problems and student_p95 <= BARS_MS["student pages"]
                  and projector_p95 <= BARS_MS["projector poll"])
        print(f"\nBars: {'all met' if passed else 'NOT all met'} (0 errors, student p95 <= 150 ms, "
              f"projector p95 <= 50 ms, nothing missing)")
    finally:
        for process in reversed(processes):
            stop_process(process)
        redis.terminate()
        redis.wait(timeout=10)
        if args.keep_logs:
            print(f"\nLogs kept in {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
