"""The profiling job's state machine: one function per move.

A job moves pending -> queued -> running -> done | failed. The row is the
truth; Celery messages only say "run job N" and may be lost, duplicated or
redelivered: the claim decides which delivery runs, the runner token decides
whose writes count, and the sweeper re-sends what the broker lost.
"""
import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from courseproj.courses.services import live_touch
from datasets.cells import clean_text
from datasets.models import Dataset, JobStatus, ProfileJob, Task
from datasets.report import result_column_names

log = logging.getLogger(__name__)

# A job whose worker died under it this many times (a file that blows the
# memory cap or the hard time limit every time) is failed, not run forever.
MAX_ATTEMPTS = 3
CRASHED_MESSAGE = (
    "Profiling stopped its worker {attempts} times (the file probably needs more memory or time than a job "
    "may use), so it was not tried again."
)
# After a failed publish this process sends nothing for this long: a request
# adding five datasets while Redis is frozen waits out one timeout, not five.
BROKER_PAUSE_SECONDS = 10.0
_broker_paused_until = 0.0


def profile_job_start(*, dataset: Dataset) -> ProfileJob:
    """Attach the dataset to the job for its content and target; send new jobs after commit."""
    from datasets.profiling import ENGINE_VERSION

    job, created = ProfileJob.objects.get_or_create(
        content_key=dataset.content_key,
        target=dataset.target_column,
        engine_version=ENGINE_VERSION,
        defaults={
            "builtin_key": dataset.builtin_key,
            "file_name": dataset.file.name if dataset.file else "",
            "file_format": dataset.file_format,
        },
    )
    dataset.profile_job = job
    dataset.save(update_fields=["profile_job"])
    if created:
        # Never before commit: a worker must not look for a row that does not
        # exist yet, and a rolled-back upload sends nothing.
        transaction.on_commit(lambda: profile_job_send(job_id=job.pk))
    elif job.status == JobStatus.DONE:
        profile_apply(job=job, datasets=[dataset])
    return job


def profile_job_rerun(*, job: ProfileJob) -> ProfileJob:
    """Start a failed job again from scratch."""
    ProfileJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.PENDING, attempts=0, progress=0, stage="", runner="", error_code="", error_message="",
        error_details={},
        updated_at=timezone.now(),
    )
    transaction.on_commit(lambda: profile_job_send(job_id=job.pk))
    job.refresh_from_db()
    return job


def profile_job_send(*, job_id: int) -> bool:
    """Publish the job; when the broker is down or frozen the row stays pending for the sweeper.

    Publishing gives up within seconds (socket timeouts and the retry policy in
    settings); after a failure this process pauses publishing briefly.
    """
    global _broker_paused_until
    from datasets.tasks import profile_job_run_task

    if time.monotonic() < _broker_paused_until:
        return False
    try:
        profile_job_run_task.apply_async(args=[job_id], retry=True)
    except Exception:  # unreachable, frozen or misbehaving broker: the row keeps the job
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.warning("profile job %s not sent; the sweeper will send it", job_id, exc_info=True)
        return False
    ProfileJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.QUEUED, updated_at=timezone.now()
    )
    return True


def profile_job_claim(*, job_id: int, message_id: str, retries: int = 0) -> str | None:
    """Make this delivery the job's runner; None when there is nothing for it to run.

    1. A pending or queued job is claimed by any delivery (a conditional
       update: of two deliveries at once, one wins).
    2. A running job is taken over only when its runner is dead: the same
       message comes back (its child was killed, or it is a retry after a
       database error), or the runner's heartbeat is older than
       PROFILE_STALE_SECONDS. A duplicate message never runs a live job twice.
    3. A takeover after MAX_ATTEMPTS deliveries (plus the retries this message
       was granted) fails the job instead: no endless crash loop.

    Returns the runner token that the run's writes must carry.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PROFILE_STALE_SECONDS)
    orphaned = Q(status=JobStatus.RUNNING) & (Q(runner__startswith=f"{message_id}/") | Q(updated_at__lt=stale))
    jobs = ProfileJob.objects.filter(pk=job_id)
    for job in jobs.filter(orphaned, attempts__gte=MAX_ATTEMPTS + retries):
        profile_job_fail(job_id=job_id, code="crashed", message=CRASHED_MESSAGE.format(attempts=job.attempts))
    token = f"{message_id}/{uuid.uuid4().hex[:12]}"
    claimed = jobs.filter(Q(status__in=[JobStatus.PENDING, JobStatus.QUEUED]) | orphaned).update(
        status=JobStatus.RUNNING, runner=token, attempts=F("attempts") + 1, started_at=now, updated_at=now,
        progress=0.0, stage="starting",
    )
    return token if claimed else None


def profile_job_progress(*, job_id: int, token: str, fraction: float, stage: str) -> None:
    ProfileJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, runner=token).update(
        progress=max(0.0, min(1.0, fraction)), stage=stage[:80], updated_at=timezone.now()
    )


def profile_job_fail(
    *, job_id: int, code: str, message: str, token: str | None = None, details: dict | None = None
) -> bool:
    """Fail an unfinished job; with a token, only if that run still owns it. `details` is what a page
    needs to offer a fix (ProfileError.details, e.g. the suggested targets of `unknown_target`)."""
    jobs = ProfileJob.objects.filter(pk=job_id).unfinished()
    if token is not None:
        jobs = jobs.filter(runner=token)
    return bool(jobs.update(
        status=JobStatus.FAILED, error_code=code[:40], error_message=message, error_details=details or {},
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    ))


def profile_apply(*, job: ProfileJob, datasets: list[Dataset]) -> None:
    """Copy what the catalog filters on from the profile onto each dataset."""
    result = job.result or {}
    task = {"binary": Task.BINARY, "multiclass": Task.MULTICLASS}.get(result.get("task"), Task.UNKNOWN)
    for dataset in datasets:
        dataset.rows = result.get("rows")
        dataset.column_names = [clean_text(str(c)) for c in result_column_names(result)]
        dataset.preview = result.get("preview") or dataset.preview
        dataset.task = task
        dataset.save(update_fields=["rows", "column_names", "preview", "task"])
    for course_id in {d.course_id for d in datasets}:
        live_touch(course_id=course_id)


def profile_jobs_sweep() -> dict[str, int]:
    """Keep every unfinished job moving, whatever the broker lost. Run by beat.

    1. A running job whose heartbeat stopped lost its worker (killed, frozen,
       or over the hard time limit). It fails when it has used MAX_ATTEMPTS or
       ran past the hard limit; otherwise it goes back to pending.
    2. Pending jobs older than PROFILE_STALE_SECONDS (never sent: the broker
       was down) and the jobs just revived are sent.
    3. Queued jobs older than PROFILE_REQUEUE_SECONDS are sent again: a Redis
       restart without persistence lost their message. If it was not lost,
       the duplicate finds nothing to claim.
    Returns counts per action.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PROFILE_STALE_SECONDS)
    dead = ProfileJob.objects.filter(status=JobStatus.RUNNING, updated_at__lt=stale)
    counts = {"failed": 0, "revived": 0, "sent": 0}
    too_slow = dead.filter(started_at__lt=now - timedelta(seconds=settings.PROFILE_HARD_TIME_LIMIT))
    for job_id in too_slow.values_list("pk", flat=True):
        counts["failed"] += profile_job_fail(
            job_id=job_id, code="too_slow", message="Profiling took too long for this file and was stopped."
        )
    for job in dead.filter(attempts__gte=MAX_ATTEMPTS):
        counts["failed"] += profile_job_fail(
            job_id=job.pk, code="crashed", message=CRASHED_MESSAGE.format(attempts=job.attempts)
        )
    revived = list(dead.values_list("pk", flat=True))
    counts["revived"] = dead.filter(pk__in=revived).update(
        status=JobStatus.PENDING, runner="", progress=0.0, stage="", updated_at=now
    )
    resend = set(revived)
    resend |= set(ProfileJob.objects.filter(status=JobStatus.PENDING, updated_at__lt=stale).values_list("pk", flat=True))
    requeue = now - timedelta(seconds=settings.PROFILE_REQUEUE_SECONDS)
    resend |= set(ProfileJob.objects.filter(status=JobStatus.QUEUED, updated_at__lt=requeue).values_list("pk", flat=True))
    for job_id in sorted(resend):
        # Restart the clock, so a job is re-sent once per period, not every sweep.
        ProfileJob.objects.filter(pk=job_id, status__in=[JobStatus.PENDING, JobStatus.QUEUED]).update(updated_at=now)
        counts["sent"] += profile_job_send(job_id=job_id)
    if any(counts.values()):
        log.info("profile job sweep: %s", counts)
    return counts
