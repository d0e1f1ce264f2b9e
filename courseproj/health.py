"""/health/: is the database up, is the broker up, and does a worker still consume?

Public (a load balancer or an uptime monitor calls it), JSON, and free of
secrets: names, states and timings only. 200 when every check passes, 503
otherwise.

The worker check is a canary: a tiny task sent to each queue (by beat every
HEALTH_CANARY_SECONDS, and by this endpoint when the last answer is older than
that, so health does not depend on beat). A worker answering writes the time
on the queue's WorkerCanary row. A worker that is alive but no longer
consumes, the most reported Celery-with-Redis failure, stops answering: the
check turns red once the last answer is older than HEALTH_CANARY_MAX_AGE.
"""
import time

from celery import current_app, shared_task
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from datasets.models import WorkerCanary

QUEUES = ("default", "profiling")
# Each check gives up after this long, so the endpoint answers within seconds
# even when Redis is frozen (its socket timeouts are 2 s as well).
CHECK_TIMEOUT = 2.0
# The last canary this process sent, per queue: at most one per period however
# often the endpoint is polled.
_sent_at: dict[str, float] = {}


@never_cache
def health(request):
    database = _check_database()
    broker = _check_broker()
    workers = _check_workers(can_send=broker["ok"]) if database["ok"] else {"ok": False, "error": "no database"}
    checks = {"database": database, "broker": broker, "workers": workers}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check() or {}
    except Exception as error:  # any failure is a red check; only the exception's type is shown
        return {"ok": False, "error": type(error).__name__, "ms": _ms(started)}
    return {"ok": True, "ms": _ms(started), **detail}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _check_database() -> dict:
    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return _timed(query)


def _check_broker() -> dict:
    """Reach the broker through Celery's own connection settings (Redis: a PING under its socket timeouts)."""

    def connect():
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT)
            channel = conn.default_channel
            if conn.transport.driver_type == "redis":
                channel.client.ping()
            return {"transport": conn.transport.driver_type}

    return _timed(connect)


def _check_workers(*, can_send: bool) -> dict:
    now = timezone.now()
    try:
        seen = dict(WorkerCanary.objects.filter(queue__in=QUEUES).values_list("queue", "seen_at"))
    except DatabaseError as error:
        return {"ok": False, "error": type(error).__name__}
    queues = {}
    for queue in QUEUES:
        age = (now - seen[queue]).total_seconds() if queue in seen else None
        if can_send and (age is None or age > settings.HEALTH_CANARY_SECONDS):
            _send_canary(queue)
        queues[queue] = {
            "ok": age is not None and age <= settings.HEALTH_CANARY_MAX_AGE,
            "last_answer_seconds_ago": None if age is None else round(age, 1),
        }
    return {"ok": all(q["ok"] for q in queues.values()), "max_age_seconds": settings.HEALTH_CANARY_MAX_AGE,
            "queues": queues}


def _send_canary(queue: str) -> None:
    if time.monotonic() - _sent_at.get(queue, float("-inf")) < settings.HEALTH_CANARY_SECONDS:
        return
    _sent_at[queue] = time.monotonic()
    try:
        # A canary nobody took within the max age is dropped: a backlog of old
        # canaries after an outage would prove nothing.
        health_canary_task.apply_async(args=[queue], queue=queue, expires=settings.HEALTH_CANARY_MAX_AGE)
    except Exception:  # the broker check reports the broker; the old answer ages on
        pass


def canary_answer(*, queue: str, worker: str) -> None:
    WorkerCanary.objects.update_or_create(queue=queue, defaults={"seen_at": timezone.now(), "worker": worker[:200]})


@shared_task(name="courseproj.health_canary", bind=True, ignore_result=True)
def health_canary_task(self, queue: str) -> None:
    canary_answer(queue=queue, worker=self.request.hostname or "")
