"""Celery tasks: they translate a message into a service call, nothing more.

Task names are a public API: messages already queued carry them across deploys.
"""
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from courseproj.logcontext import job_context
from datasets import jobs, runner

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="datasets.profile_job_run",
    bind=True,
    # Time limits are the worker's (CELERY_TASK_SOFT_TIME_LIMIT, settings.py):
    # the soft one raises SoftTimeLimitExceeded below and the job fails as "too
    # slow"; at the hard one the pool kills the child and the sweeper fails the job.
    # A database blip (PostgreSQL restarting) retries the same message after
    # 1, 2, 4, 8, 16 s (capped at 60 s, no jitter: predictable for operators),
    # then the job fails with the reason. The retry takes the job over (same
    # message id), so it does not count as a crash.
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=settings.PROFILE_MAX_RETRIES,
)
def profile_job_run_task(self, job_id: int) -> str:
    """Claim the job for this delivery and run it; returns what happened (logged by the worker)."""
    with job_context(job_id):
        return _run(self, job_id)


def _run(task, job_id: int) -> str:
    token = jobs.profile_job_claim(job_id=job_id, message_id=task.request.id, retries=task.request.retries)
    if token is None:
        return "nothing to claim"  # finished, running elsewhere, failed after crashes, or deleted
    try:
        return runner.profile_job_run(job_id=job_id, token=token)
    except SoftTimeLimitExceeded:
        jobs.profile_job_fail(
            job_id=job_id, token=token, code="too_slow",
            message="Profiling took too long for this file and was stopped.",
        )
        return "too slow"
    except MemoryError:
        jobs.profile_job_fail(
            job_id=job_id, token=token, code="too_large",
            message="Profiling needed more memory than a job may use; try a smaller file or fewer columns.",
        )
        return "out of memory"
    except DATABASE_ERRORS:
        if task.request.retries >= task.max_retries:
            log.exception("profile job %s: the database kept failing; giving up", job_id)
            jobs.profile_job_fail(
                job_id=job_id, token=token, code="database_unavailable",
                message=f"The database kept failing while profiling (tried {task.request.retries + 1} times). "
                "An instructor can run it again.",
            )
        raise
    except Exception:
        log.exception("profile job %s failed", job_id)
        jobs.profile_job_fail(
            job_id=job_id, token=token, code="internal_error",
            message="Profiling failed with an unexpected error; the administrators can see the details in the logs.",
        )
        return "error"


@shared_task(name="datasets.profile_jobs_sweep")
def profile_jobs_sweep_task() -> dict:
    return jobs.profile_jobs_sweep()
