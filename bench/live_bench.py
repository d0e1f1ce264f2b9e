"""The in-class activity under load: pick-to-projector latency and 300 students picking at once.

Runs the production profile on this machine — gunicorn, PostgreSQL, Redis —
against a fresh database `courseproj_bench`:

1. Seed a course with 40 datasets and N students, each with a logged-in
   session (sessions are made directly so the measurement is about picking,
   not about password hashing).
2. Quiet phase: one student makes P picks one after another while a
   projector polls the board every 500 ms exactly as the page does (ETag,
   304 when nothing changed). Pick-to-projector latency = from sending the
   pick to the first projector response that shows it.
3. Reference in the same run: the same poll without the ETag (a full board
   render every time), so the poll's cost is read as a ratio.
4. Load phase: N students each pick and re-pick 3–5 times at random moments
   within S seconds while the projector polls and, with --phones M, M phones
   (logged-in students, the N pickers among them) poll their ranking page
   every 2 s exactly as the page does (X-Live, If-None-Match: a 304 while
   nothing changed). The web processes' CPU (gunicorn's master and workers,
   from /proc) is reported as a share of the machine, next to the machine's
   own busy share and the bench client's.
5. Audit: every student's final list in the database equals the list the
   client saw confirmed, and the final board's counts equal the database's.

Usage: .venv/bin/python bench/live_bench.py [--students 300] [--phones 1000] [--seconds 60] [--picks 120] [--workers 4]
Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (see RECIPES). Loopback only;
every client stops when the phase's time is up (phones: at most seconds / 2 polls each).
"""
import argparse
import http.client
import os
import random
import re
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
    import json

    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    datasets = {int(k): v for k, v in data["datasets"].items()}
    return data["course"], data["token"], datasets, [Student(n, s, c) for n, s, c in data["students"]]


def start_server(env: dict[str, str], port: int, workers: int, threads: int = 1) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "courseproj.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 120  # a busy shared machine boots four workers slowly
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


# --- clients ---------------------------------------------------------------------------


class Client:
    def __init__(self, port: int, student: Student | None = None):
        self.port = port
        self.student = student

    def request(self, method: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes, float]:
        headers = dict(headers or {})
        if self.student:
            headers["Cookie"] = f"sessionid={self.student.session}; csrftoken={self.student.csrf}"
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


@dataclass
class Projector:
    """Polls like the projector page and notes when each (dataset, student) first shows."""

    client: Client
    path: str
    use_etag: bool = True
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seen_at: dict[tuple[str, str], float] = field(default_factory=dict)
    board: dict[str, tuple[int, set[str]]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        etag = None
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status, headers, body, seconds = self.client.request(
                    "GET", self.path, {"X-Live": "1", **({"If-None-Match": etag} if etag and self.use_etag else {})}
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
                now = time.perf_counter()
                self.board = {}
                for tile in TILE.findall(body.decode()):
                    title, count = TILE_TITLE.search(tile), TILE_COUNT.search(tile)
                    if not (title and count):
                        continue
                    people = set(TILE_NAMES.findall(tile))
                    self.board[title.group(1)] = (int(count.group(1)), people)
                    for name in people:
                        self.seen_at.setdefault((title.group(1), name), now)
            self.stop.wait(max(0.0, POLL_SECONDS - (time.perf_counter() - started)))


def pick(client: Client, course: int, dataset: int, action: str) -> tuple[int, float]:
    status, _, _, seconds = client.request("POST", f"/c/{course}/interests/{dataset}/{action}/", {"HX-Request": "true"})
    return status, seconds


# --- phases ------------------------------------------------------------------------------


def quiet_phase(port: int, course: int, token: str, datasets: dict[int, str], prober: Student, picks: int) -> list[float]:
    projector = Projector(Client(port), f"/display/{token}/board/")
    thread = threading.Thread(target=projector.run, daemon=True)
    thread.start()
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
        status, _ = pick(client, course, dataset, "add")
        if status != 200:
            continue
        prober.confirmed.append(dataset)
        deadline = sent + 5
        while key not in projector.seen_at and time.perf_counter() < deadline:
            time.sleep(0.005)
        if key in projector.seen_at:
            latencies.append(projector.seen_at[key] - sent)
        time.sleep(rng.uniform(0, POLL_SECONDS))
    projector.stop.set()
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
    ETag is where its polling starts. A few at a time, as a class trickles in. Returns failures."""
    from concurrent.futures import ThreadPoolExecutor

    def load(student: Student) -> bool:
        try:
            status, headers, _, _ = Client(port, student).request("GET", f"/c/{course}/interests/")
        except OSError:
            return False
        student.etag = headers.get("ETag")
        return status == 200

    with ThreadPoolExecutor(concurrency) as pool:
        return sum(not ok for ok in pool.map(load, phones))


def load_phase(port, course, token, datasets, students, seconds, phones, server_pid):
    projector = Projector(Client(port), f"/display/{token}/board/")
    projector_thread = threading.Thread(target=projector.run, daemon=True)
    ids = list(datasets)
    pick_times: list[float] = []
    poll_times: list[float] = []
    errors: list[str] = []
    adds: list[tuple[str, str, float]] = []
    lock = threading.Lock()
    stop = threading.Event()

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
                status, took = pick(client, course, dataset, action)
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

    def phone_run(student: Student, seed: int) -> None:
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

    poll_statuses: dict[int, int] = {}
    threading.stack_size(256 * 1024)  # a thousand phones: small stacks
    projector_thread.start()
    threads = [threading.Thread(target=student_run, args=(s, i), daemon=True) for i, s in enumerate(students)]
    threads += [threading.Thread(target=phone_run, args=(s, i), daemon=True) for i, s in enumerate(phones)]
    cpu_before, machine_before, client_before = cpu_seconds(server_pid), machine_busy(), sum(os.times()[:2])
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads[: len(students)]:
        thread.join()
    stop.set()
    for thread in threads[len(students):]:
        thread.join()
    time.sleep(POLL_SECONDS * 3)  # let the projector catch the last picks
    projector.stop.set()
    projector_thread.join()
    elapsed = time.perf_counter() - started
    machine_after = machine_busy()
    cpu = {
        "web": cpu_seconds(server_pid) - cpu_before,
        "client": sum(os.times()[:2]) - client_before,
        "machine_busy": machine_after[0] - machine_before[0],
        "machine_total": machine_after[1] - machine_before[1],
    }
    # A pick may be undone before the projector polled again: only count adds still on the board.
    to_projector = [projector.seen_at[(t, n)] - sent for t, n, sent in adds if (t, n) in projector.seen_at]
    return {
        "elapsed": elapsed, "pick_times": pick_times, "poll_times": poll_times, "errors": errors,
        "projector": projector, "to_projector": to_projector, "adds": len(adds), "cpu": cpu,
        "poll_statuses": poll_statuses,
    }


def audit(env: dict[str, str], course: int, datasets: dict[int, str], students: list[Student], board: dict) -> list[str]:
    """Compare the database with what the clients saw confirmed and with the projector's last board."""
    import json

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
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--picks", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (>1: gthread workers)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--phones", type=int, default=0,
                        help="phones polling their ranking page every 2 s (logged-in students; the pickers among them)")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="courseproj-bench-")
    env = environment(var_dir)
    print(f"Setting up: database {DB_NAME}, {args.students} students, 40 datasets, "
          f"gunicorn with {args.workers} workers × {args.threads} threads…")
    fresh_database(env)
    course, token, datasets, people = seed(env, max(args.students, args.phones) + 1)
    prober, students, phones = people[0], people[1: args.students + 1], people[1: args.phones + 1]
    server = start_server(env, args.port, args.workers, args.threads)
    try:
        print(f"\n1. Quiet phase: {args.picks} picks by one student, projector polling every {POLL_SECONDS * 1000:.0f} ms")
        quiet = quiet_phase(args.port, course, token, datasets, prober, args.picks)
        print(f"   pick-to-projector  {fmt_ms(quiet)}")

        print("\n2. The projector's poll: with its ETag (304) vs a full render, alternating, same run")
        cheap, full = poll_reference(args.port, token)
        print(f"   304 poll           {fmt_ms(cheap)}")
        print(f"   full render        {fmt_ms(full)}")
        print(f"   ratio (median)     {statistics.median(cheap) / statistics.median(full):.2f} of a full render")

        print(f"\n3. Load: {len(students)} students pick and re-pick within {args.seconds:.0f} s"
              f"{f' while {len(phones)} phones poll their page every 2 s' if phones else ''}; the projector polls")
        if phones:
            failed = phones_load_their_page(args.port, course, phones)
            print(f"   {len(phones)} phones opened their ranking page ({failed} failed)")
        result = load_phase(args.port, course, token, datasets, students, args.seconds, phones, server.pid)
        projector = result["projector"]
        print(f"   requests: {len(result['pick_times'])} picks, {len(projector.latencies)} projector polls, "
              f"{len(result['poll_times'])} phone polls in {result['elapsed']:.1f} s")
        print(f"   pick (POST)        {fmt_ms(result['pick_times'])}")
        print(f"   projector poll     {fmt_ms(projector.latencies)}")
        if result["poll_times"]:
            statuses = ", ".join(f"{n} × {status}" for status, n in sorted(result["poll_statuses"].items()))
            print(f"   phone poll         {fmt_ms(result['poll_times'])}  ({statuses};"
                  f" {len(result['poll_times']) / result['elapsed']:.0f} polls/s)")
        print(f"   pick-to-projector  {fmt_ms(result['to_projector'])}  ({len(result['to_projector'])} of {result['adds']} adds still on the board)")
        errors = result["errors"] + ["projector poll failed"] * projector.errors
        print(f"   errors: {len(errors)}" + (f" — first: {errors[:5]}" if errors else ""))
        cpu, cores = result["cpu"], os.cpu_count()
        print(f"   CPU over {result['elapsed']:.0f} s on {cores} cores: web processes {cpu['web']:.0f} s"
              f" = {cpu['web'] / cpu['machine_total']:.0%} of the machine ({cpu['web'] / result['elapsed']:.2f} cores);"
              f" bench client {cpu['client'] / cpu['machine_total']:.0%};"
              f" whole machine busy {cpu['machine_busy'] / cpu['machine_total']:.0%}")

        print("\n4. Audit: database vs confirmed picks vs the projector's last board")
        problems = audit(env, course, datasets, [prober, *students], projector.board)
        print(f"   {len(problems)} problem(s)" + "".join(f"\n   - {p}" for p in problems[:10]))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
