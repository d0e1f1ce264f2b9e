"""State changes of datasets and their profiling jobs: one function each."""
import logging
import math
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from courseproj.models import Course, Membership
from datasets.builtins import BUILTINS, load_builtin
from datasets.report import result_column_names
from datasets.models import Dataset, DatasetStatus, JobStatus, ProfileJob, Task
from datasets.uploads import display_name, file_facts

log = logging.getLogger(__name__)

PREVIEW_ROWS = 10
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


def _clean_text(value: str) -> str:
    """NUL bytes break PostgreSQL text columns (SQLite stores them): drop them everywhere."""
    return value.replace("\x00", "")


def dataset_add_builtin(*, course: Course, key: str) -> tuple[Dataset, bool]:
    builtin = BUILTINS[key]
    existing = Dataset.objects.filter(course=course, builtin_key=key).first()
    if existing:
        return existing, False
    frame = load_builtin(key)
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(
                course=course,
                title=builtin.title,
                description=builtin.description,
                source=builtin.source,
                licence=builtin.licence,
                tags=builtin.tags,
                target_column=builtin.target,
                task=Task.BINARY if frame[builtin.target].nunique() == 2 else Task.MULTICLASS,
                builtin_key=key,
                rows=len(frame),
                column_names=[str(c) for c in frame.columns],
                preview=_preview_rows(frame),
            )
            profile_job_start(dataset=dataset)
    except IntegrityError:
        return Dataset.objects.get(course=course, builtin_key=key), False
    return dataset, True


def _preview_rows(frame) -> list[list[str]]:
    head = frame.head(PREVIEW_ROWS)
    return [[_clean_text(_cell_text(value))[:80] for value in row] for row in head.astype(object).itertuples(index=False)]


def _cell_text(value) -> str:
    """A cell as the file had it: a gap stays empty, a whole number has no ".0" (the loader reads numbers as floats)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def dataset_upload(
    *,
    membership: Membership,
    uploaded: UploadedFile,
    file_format: str,
    title: str,
    description: str = "",
    source: str = "",
    licence: str = "",
    tags: str = "",
    target_column: str = "",
) -> tuple[Dataset, bool]:
    """Store an upload under a generated name; the same content in a course is one dataset.

    Instructors add to the catalog directly; a student's upload is a proposal
    the instructor reviews. Returns (dataset, created).
    """
    facts = file_facts(uploaded)
    course = membership.course
    existing = Dataset.objects.filter(course=course, content_hash=facts.content_hash).first()
    if existing:
        return existing, False
    dataset = Dataset(
        course=course,
        title=_clean_text(title),
        description=_clean_text(description),
        source=_clean_text(source),
        licence=_clean_text(licence),
        tags=_clean_text(tags),
        target_column=_clean_text(target_column),
        original_name=display_name(_clean_text(uploaded.name or "")),
        file_format=file_format,
        content_hash=facts.content_hash,
        size_bytes=facts.size_bytes,
        status=DatasetStatus.APPROVED if membership.is_staff_role else DatasetStatus.PROPOSED,
        proposed_by=None if membership.is_staff_role else membership.user,
    )
    try:
        with transaction.atomic():
            dataset.file.save("upload", uploaded, save=False)
            dataset.save()
            profile_job_start(dataset=dataset)
    except IntegrityError:
        # A double-click raced us to the same content: keep the first row.
        dataset.file.delete(save=False)
        return Dataset.objects.get(course=course, content_hash=facts.content_hash), False
    return dataset, True


def dataset_review(*, dataset: Dataset, approve: bool) -> Dataset:
    dataset.status = DatasetStatus.APPROVED if approve else DatasetStatus.REJECTED
    dataset.save(update_fields=["status"])
    return dataset


def dataset_set_target(*, dataset: Dataset, target_column: str) -> Dataset:
    """A new target is a new profile (a different job, or a finished one reused)."""
    if target_column and dataset.column_names and target_column not in dataset.column_names:
        raise ValidationError(f"“{target_column}” is not a column of this dataset.")
    with transaction.atomic():
        dataset.target_column = _clean_text(target_column)
        dataset.save(update_fields=["target_column"])
        profile_job_start(dataset=dataset)
    return dataset


# --- profiling jobs ------------------------------------------------------------
#
# A job moves pending -> queued -> running -> done | failed. The row is the
# truth; Celery messages only say "run job N" and may be lost, duplicated or
# redelivered: the claim decides which delivery runs, the runner token decides
# whose writes count, and the sweeper re-sends what the broker lost.


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
        _apply_profile(job=job, datasets=[dataset])
    return job


def profile_job_rerun(*, job: ProfileJob) -> ProfileJob:
    """Start a failed job again from scratch."""
    ProfileJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.PENDING, attempts=0, progress=0, stage="", runner="", error_code="", error_message="",
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


def profile_job_fail(*, job_id: int, code: str, message: str, token: str | None = None) -> bool:
    """Fail an unfinished job; with a token, only if that run still owns it."""
    jobs = ProfileJob.objects.filter(pk=job_id).exclude(status__in=[JobStatus.DONE, JobStatus.FAILED])
    if token is not None:
        jobs = jobs.filter(runner=token)
    return bool(jobs.update(
        status=JobStatus.FAILED, error_code=code[:40], error_message=message, finished_at=timezone.now(),
        updated_at=timezone.now(),
    ))


def profile_job_run(*, job_id: int, token: str) -> str:
    """Run a claimed job: load, profile, store the result and update its datasets.

    Errors the engine names (ProfileError) fail the job with that reason;
    anything else propagates to the task, which decides about retries.
    Returns what happened: "profiled", "failed" or "superseded" (another run
    took the job over meanwhile, so this result is dropped).
    """
    from datasets.profiling import ProfileError, load_table, profile_frame

    job = ProfileJob.objects.get(pk=job_id)

    def progress(fraction: float, stage: str) -> None:
        profile_job_progress(job_id=job_id, token=token, fraction=fraction, stage=stage)

    with _Heartbeat(job_id=job_id, token=token):
        try:
            if job.builtin_key:
                frame, load_info = load_builtin(job.builtin_key), None
            else:
                loaded = load_table(Path(settings.MEDIA_ROOT) / job.file_name, fmt=job.file_format or None)
                frame, load_info = loaded.frame, loaded
            result = profile_frame(frame, target=job.target or None, progress=progress, load_info=load_info)
        except ProfileError as error:
            profile_job_fail(job_id=job_id, token=token, code=error.code, message=error.message)
            return "failed"
    result["preview"] = _preview_rows(frame)
    with transaction.atomic():
        updated = ProfileJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, runner=token).update(
            status=JobStatus.DONE, progress=1.0, stage="done", result=result, finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not updated:
            return "superseded"
        job.refresh_from_db()
        _apply_profile(job=job, datasets=list(job.datasets.all()))
    return "profiled"


class _Heartbeat(threading.Thread):
    """Touches the running job's row while its run is alive.

    Progress alone is too sparse (one model can take many seconds), and a
    killed or frozen worker must stop beating so the sweeper and the page can
    tell. A database blip only skips beats.
    """

    def __init__(self, *, job_id: int, token: str):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id, self.token = job_id, token
        self.every = max(0.5, settings.PROFILE_STALE_SECONDS / 6)
        self.stopped = threading.Event()

    def __enter__(self) -> "_Heartbeat":
        # Inside a transaction (a caller holding the row, as tests do) another
        # connection could neither see nor update the row: no heartbeat then.
        if not connection.in_atomic_block:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        if self.is_alive():
            self.join(timeout=5)

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                close_old_connections()  # drop a connection a database restart broke
                try:
                    ProfileJob.objects.filter(pk=self.job_id, status=JobStatus.RUNNING, runner=self.token).update(
                        updated_at=timezone.now()
                    )
                except DatabaseError:
                    log.warning("profile job %s: heartbeat skipped (database unavailable)", self.job_id)
        finally:
            connection.close()  # this thread's own connection


def _apply_profile(*, job: ProfileJob, datasets: list[Dataset]) -> None:
    """Copy what the catalog filters on from the profile onto each dataset."""
    result = job.result or {}
    task = {"binary": Task.BINARY, "multiclass": Task.MULTICLASS}.get(result.get("task"), Task.UNKNOWN)
    for dataset in datasets:
        dataset.rows = result.get("rows")
        dataset.column_names = [_clean_text(str(c)) for c in result_column_names(result)]
        dataset.preview = result.get("preview") or dataset.preview
        dataset.task = task
        dataset.save(update_fields=["rows", "column_names", "preview", "task"])


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
