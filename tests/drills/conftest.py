"""Fault drills (docs/reliability.md rows 36-44, issue 7): real processes, killed by PID.

Each drill starts its own redis-server on a free port (never the machine's
shared Redis), its own Celery workers on the test database, and kills,
freezes or restarts them. Committed rows are what the workers see, hence
`transactional_db`. The test process plays the web side: its Celery app is
pointed at the drill's Redis, and services publish through it.
"""
import io
import os

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from courseproj.courses.models import Membership
from datasets import jobs, services
from datasets.models import Dataset, ProfileJob
from tests.drills.processes import RedisServer, WebServer, Worker, close_database_sessions, database_url

# Short clocks, so a drill takes seconds. The workers and the web server get
# them from the environment; this process gets them through `settings`.
DRILL_CLOCKS = {
    "PROFILE_STALE_SECONDS": 4,
    "PROFILE_SWEEP_SECONDS": 1,
    "PROFILE_REQUEUE_SECONDS": 2,
    "PROFILE_MAX_RETRIES": 3,
    "HEALTH_CANARY_SECONDS": 1,
    "HEALTH_CANARY_MAX_AGE": 8,
}


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server, settings):
    """This process publishes to the drill's Redis, with the production transport options."""
    from courseproj import health
    from courseproj.celery import app

    for name, value in DRILL_CLOCKS.items():
        setattr(settings, name, value)
    # The app reads Django's CELERY_* names, which win over the plain ones.
    saved = {"CELERY_BROKER_URL": app.conf.broker_url,
             "CELERY_BROKER_TRANSPORT_OPTIONS": app.conf.broker_transport_options}
    app.conf.update(CELERY_BROKER_URL=redis_server.url,
                    CELERY_BROKER_TRANSPORT_OPTIONS=dict(settings.REDIS_BROKER_OPTIONS))
    app._after_fork()  # drop pooled connections to the previous broker
    jobs._broker_paused_until = 0.0
    health._sent_at.clear()
    yield redis_server
    app.conf.update(saved)
    app._after_fork()
    jobs._broker_paused_until = 0.0
    health._sent_at.clear()


@pytest.fixture
def process_env(broker, transactional_db):
    """Environment of every process a drill starts: test settings, test database, drill Redis, short clocks."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": broker.url,
        "PYTHONUNBUFFERED": "1",
        **{name: str(value) for name, value in DRILL_CLOCKS.items()},
    }


@pytest.fixture
def start_worker(process_env, tmp_path, django_db_blocker):
    """start_worker("w1", beat=True, DRILL_SLOW_STEP=0.4) -> a ready Worker; all are killed at teardown."""
    started: list[Worker] = []

    def start(name: str = "w1", *, beat: bool = False, wait: bool = True, **env) -> Worker:
        worker = Worker(name=name, env={**process_env, **{k: str(v) for k, v in env.items()}}, log_dir=tmp_path,
                        beat=beat)
        started.append(worker)
        worker.launch()
        if wait:
            worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
    with django_db_blocker.unblock():  # pytest-django blocks the database in fixture teardown
        close_database_sessions()


@pytest.fixture
def web_server(process_env, tmp_path, django_db_blocker):
    server = WebServer(env=process_env, log_dir=tmp_path)
    server.start()
    yield server
    server.stop()
    with django_db_blocker.unblock():
        close_database_sessions()


@pytest.fixture
def upload(course, instructor):
    """upload(seed=1) adds a small CSV to the course as the instructor would; the job is sent after commit."""
    membership = Membership.objects.get(course=course, user=instructor)

    def add(*, seed: int = 0, rows: int = 300, title: str = "") -> Dataset:
        dataset, created = services.dataset_upload(
            membership=membership,
            uploaded=SimpleUploadedFile(f"drill-{seed}.csv", drill_csv(rows=rows, seed=seed)),
            file_format="csv",
            title=title or f"Drill table {seed}",
            target_column="label",
        )
        assert created
        return dataset

    return add


def drill_csv(*, rows: int, seed: int, columns: int = 4) -> bytes:
    """A small classification table with some signal; the seed makes each file (and job) distinct."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, columns))
    frame = pd.DataFrame(features.round(4), columns=[f"x{i}" for i in range(columns)])
    frame["label"] = np.where(features[:, 0] + 0.5 * rng.normal(size=rows) > 0, "yes", "no")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def job_of(dataset: Dataset) -> ProfileJob:
    return ProfileJob.objects.get(pk=Dataset.objects.get(pk=dataset.pk).profile_job_id)


def assert_consumes(worker: Worker, *, timeout: float = 20) -> float:
    """A canary on each queue comes back from this worker: it is alive AND consuming. Returns seconds."""
    from django.utils import timezone

    from courseproj.health import QUEUES, health_canary_task
    from datasets.models import WorkerCanary
    from tests.drills.processes import wait_for

    sent = timezone.now()
    for queue in QUEUES:
        health_canary_task.apply_async(args=[queue], queue=queue)

    def answered() -> bool:
        rows = WorkerCanary.objects.filter(queue__in=QUEUES, seen_at__gte=sent, worker=worker.hostname)
        return rows.count() == len(QUEUES)

    return wait_for(answered, timeout=timeout, what=f"{worker.name} to answer a canary on every queue")


def progress_state(client, dataset: Dataset) -> str:
    """What the report page's progress fragment says (its data-state), fetched as static/js/live.js does."""
    from django.urls import reverse

    response = client.get(reverse("profile_report", args=[dataset.course_id, dataset.pk]), HTTP_X_LIVE="1")
    html = response.content.decode()
    marker = 'data-state="'
    return html[html.index(marker) + len(marker):].split('"', 1)[0]
