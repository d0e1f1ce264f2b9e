"""The Celery application. Settings come from Django's (CELERY_* names)."""
import os
import resource

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseproj.settings")

app = Celery("courseproj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # Only JSON crosses the broker: never unpickle anything.
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    # Job state lives in our database; results would only fill the broker.
    task_ignore_result=True,
    # Profiling jobs get their own queue so a long job never delays the small
    # housekeeping tasks (and workers can be sized per queue).
    task_routes={"datasets.profile_job_run": {"queue": "profiling"}},
    task_default_queue="default",
    # One message at a time per process: profiling jobs are long, so a worker
    # must not hoard messages that an idle worker could take.
    worker_prefetch_multiplier=1,
    # Acknowledge after the task ran so a killed child's message is redelivered;
    # the job row counts deliveries and fails the job after a few.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # Publishing must not hang a web request when Redis is frozen: give up after
    # about 6 s; the job row stays "pending" and the sweeper sends it later.
    broker_connection_retry_on_startup=True,
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 1, "interval_max": 2},
    broker_connection_timeout=3,
    worker_hijack_root_logger=False,
    # Re-send jobs whose message was lost (Redis restarted without persistence)
    # or never sent (Redis was down when the dataset was added).
    beat_schedule={"sweep-profile-jobs": {"task": "datasets.profile_jobs_sweep", "schedule": 60.0}},
)
app.autodiscover_tasks()


@worker_process_init.connect
def _cap_child_memory(**_) -> None:
    """Cap each pool child's address space: one runaway profile gets a
    MemoryError (caught, job failed) instead of taking the machine down;
    worker_max_memory_per_child only acts after a task finished."""
    from django.conf import settings

    limit = settings.WORKER_MEMORY_LIMIT_MB * 1024 * 1024
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
