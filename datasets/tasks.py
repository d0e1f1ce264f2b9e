"""Celery tasks: they translate a message into a service call, nothing more."""
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from datasets import services
from datasets.models import ProfileJob

log = logging.getLogger(__name__)

# A profile has a time budget of about 20 s on the engine's side; the limits are
# the backstops. Soft: the task is told and fails the job as "too slow". Hard:
# the child is killed (the job is then retried, and failed after MAX_ATTEMPTS).
SOFT_TIME_LIMIT = 240
HARD_TIME_LIMIT = 300


@shared_task(
    name="datasets.profile_job_run",  # a public name: queued messages carry it across deploys
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
    # A database blip retries with exponential backoff (1 s, 2 s, 4 s, ...), capped.
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=5,
)
def profile_job_run_task(self, job_id: int) -> None:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered")) or self.request.retries > 0
    if not ProfileJob.objects.filter(pk=job_id).exists():
        return  # the dataset and its job were deleted meanwhile
    if not services.profile_job_claim(job_id=job_id, redelivered=redelivered):
        return  # another delivery has it, or it is finished
    try:
        services.profile_job_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        services.profile_job_fail(
            job_id=job_id, code="too_slow", message="Profiling took too long for this file and was stopped."
        )
    except MemoryError:
        services.profile_job_fail(
            job_id=job_id, code="too_large", message="Profiling needed more memory than a job may use."
        )
    except OperationalError:
        if self.request.retries >= self.max_retries:
            services.profile_job_fail(job_id=job_id, code="database", message="The database was unreachable.")
        raise
    except Exception as error:
        log.exception("profile job %s failed", job_id)
        services.profile_job_fail(job_id=job_id, code="internal_error", message=f"Unexpected error: {error}")


@shared_task(name="datasets.profile_jobs_sweep", queue="default")
def profile_jobs_sweep_task() -> int:
    return services.profile_jobs_sweep()
