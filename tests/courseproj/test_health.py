"""/health/ in process: checks, status codes, no secrets (the drill in tests/drills/test_health.py stops a real worker)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courseproj import health
from datasets.models import WorkerCanary


@pytest.fixture(autouse=True)
def _no_canary_sent(monkeypatch):
    sent = []
    monkeypatch.setattr(health.health_canary_task, "apply_async", lambda args, **options: sent.append(args[0]))
    monkeypatch.setattr(health, "_sent_at", {})
    return sent


def _answered(seconds_ago: float) -> None:
    for queue in health.QUEUES:
        WorkerCanary.objects.update_or_create(
            queue=queue, defaults={"seen_at": timezone.now() - timedelta(seconds=seconds_ago), "worker": "w1@host"}
        )


def test_health_is_public_json_and_green_when_a_worker_answered(client, db):
    _answered(1)
    response = client.get(reverse("health"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"] and body["checks"]["workers"]["ok"]
    assert "no-cache" in response["Cache-Control"]


def test_health_is_red_when_no_worker_answered_for_the_max_age(client, db, settings, _no_canary_sent):
    _answered(settings.HEALTH_CANARY_MAX_AGE + 1)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    workers = response.json()["checks"]["workers"]
    assert not workers["ok"] and workers["queues"]["profiling"]["last_answer_seconds_ago"] > settings.HEALTH_CANARY_MAX_AGE
    assert sorted(_no_canary_sent) == sorted(health.QUEUES)  # a new canary is on its way


def test_health_is_red_before_any_worker_ever_answered(client, db):
    assert client.get(reverse("health")).status_code == 503


def test_health_sends_at_most_one_canary_per_period(client, db, _no_canary_sent):
    _answered(10_000)
    for _ in range(5):
        client.get(reverse("health"))
    assert len(_no_canary_sent) == len(health.QUEUES)


def test_health_is_red_when_the_broker_is_unreachable(client, db, monkeypatch):
    from celery import current_app

    _answered(1)

    def unreachable():
        raise ConnectionRefusedError("Error 111 connecting to redis://:secret@10.0.0.5:6379")

    monkeypatch.setattr(current_app, "connection_for_write", unreachable)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker == {"ok": False, "error": "ConnectionRefusedError", "ms": broker["ms"]}
    assert "secret" not in response.content.decode() and "10.0.0.5" not in response.content.decode()


def test_health_shows_no_settings_or_secrets(client, db, settings):
    _answered(1)
    text = client.get(reverse("health")).content.decode()
    for secret in (settings.SECRET_KEY, str(connection.settings_dict["NAME"]), settings.CELERY_BROKER_URL):
        assert secret not in text


def test_the_canary_task_records_which_worker_answered(db):
    health.canary_answer(queue="profiling", worker="w7@box")
    row = WorkerCanary.objects.get(queue="profiling")
    assert row.worker == "w7@box" and timezone.now() - row.seen_at < timedelta(seconds=5)
