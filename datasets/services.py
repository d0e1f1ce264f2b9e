"""State changes of datasets and their profiling jobs: one function each."""
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from courseproj.models import Course, Membership
from datasets.builtins import BUILTINS, load_builtin
from datasets.models import Dataset, DatasetStatus, JobStatus, ProfileJob, Task
from datasets.uploads import display_name, file_facts

log = logging.getLogger(__name__)

PREVIEW_ROWS = 10
# A job that crashed its worker this many times is failed, not retried forever.
MAX_ATTEMPTS = 3
# Sweeper thresholds: a job not sent (Redis was down) is re-sent after a minute;
# a queued job whose message was lost (Redis restarted) after a few minutes; a
# running job that stopped reporting progress is presumed dead.
RESEND_PENDING_AFTER = timedelta(minutes=1)
RESEND_QUEUED_AFTER = timedelta(minutes=5)
RUNNING_STALE_AFTER = timedelta(minutes=6)


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
    return [[_clean_text(str(value))[:80] for value in row] for row in head.astype(object).itertuples(index=False)]


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
        transaction.on_commit(lambda: profile_job_send(job_id=job.pk))
    elif job.status == JobStatus.DONE:
        _apply_profile(job=job, datasets=[dataset])
    return job


def profile_job_rerun(*, job: ProfileJob) -> ProfileJob:
    """Start a failed job again from scratch."""
    ProfileJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.PENDING, attempts=0, progress=0, stage="", error_code="", error_message=""
    )
    transaction.on_commit(lambda: profile_job_send(job_id=job.pk))
    job.refresh_from_db()
    return job


def profile_job_send(*, job_id: int) -> bool:
    """Publish the job; when the broker is down the row stays pending for the sweeper."""
    from datasets.tasks import profile_job_run_task

    try:
        profile_job_run_task.apply_async(args=[job_id], retry=True)
    except Exception:  # the broker is unreachable or frozen: nothing is lost
        log.warning("profile job %s not sent; the sweeper will retry", job_id, exc_info=True)
        return False
    ProfileJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(status=JobStatus.QUEUED)
    return True


def profile_job_claim(*, job_id: int, redelivered: bool) -> bool:
    """Move the job to running; a duplicate message finds nothing to claim.

    A redelivered message (the worker died mid-job) may take over a job left
    "running"; after MAX_ATTEMPTS deliveries the job is failed instead.
    """
    claimable = [JobStatus.PENDING, JobStatus.QUEUED] + ([JobStatus.RUNNING] if redelivered else [])
    ProfileJob.objects.filter(pk=job_id, status__in=claimable, attempts__gte=MAX_ATTEMPTS).update(
        status=JobStatus.FAILED,
        error_code="crashed",
        error_message="Profiling stopped the worker several times (probably out of memory); it was not retried again.",
        finished_at=timezone.now(),
    )
    return bool(
        ProfileJob.objects.filter(pk=job_id, status__in=claimable).update(
            status=JobStatus.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now(), progress=0
        )
    )


def profile_job_progress(*, job_id: int, fraction: float, stage: str) -> None:
    ProfileJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        progress=max(0.0, min(1.0, fraction)), stage=stage[:80], updated_at=timezone.now()
    )


def profile_job_fail(*, job_id: int, code: str, message: str) -> None:
    ProfileJob.objects.filter(pk=job_id).exclude(status=JobStatus.DONE).update(
        status=JobStatus.FAILED, error_code=code[:40], error_message=message, finished_at=timezone.now()
    )


def profile_job_run(*, job_id: int) -> None:
    """Run a claimed job: load, profile, store the result and update its datasets.

    Errors the engine names (ProfileError) fail the job with that reason;
    anything else propagates to the task, which decides about retries.
    """
    from datasets.profiling import ProfileError, load_table, profile_frame

    job = ProfileJob.objects.get(pk=job_id)

    def progress(fraction: float, stage: str) -> None:
        profile_job_progress(job_id=job_id, fraction=fraction, stage=stage)

    try:
        if job.builtin_key:
            frame, load_info = load_builtin(job.builtin_key), None
        else:
            loaded = load_table(Path(settings.MEDIA_ROOT) / job.file_name, fmt=job.file_format or None)
            frame, load_info = loaded.frame, loaded
        result = profile_frame(frame, target=job.target or None, progress=progress, load_info=load_info)
    except ProfileError as error:
        profile_job_fail(job_id=job_id, code=error.code, message=error.message)
        return
    result["preview"] = _preview_rows(frame)
    with transaction.atomic():
        updated = ProfileJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.DONE, progress=1.0, stage="done", result=result, finished_at=timezone.now()
        )
        if updated:
            job.refresh_from_db()
            _apply_profile(job=job, datasets=list(job.datasets.all()))


def _apply_profile(*, job: ProfileJob, datasets: list[Dataset]) -> None:
    """Copy what the catalog filters on from the profile onto each dataset."""
    result = job.result or {}
    task = {"binary": Task.BINARY, "multiclass": Task.MULTICLASS}.get(result.get("task"), Task.UNKNOWN)
    for dataset in datasets:
        dataset.rows = result.get("rows")
        dataset.column_names = [_clean_text(str(c)) for c in (result.get("column_types") or {})]
        dataset.preview = result.get("preview") or dataset.preview
        dataset.task = task
        dataset.save(update_fields=["rows", "column_names", "preview", "task"])


def profile_jobs_sweep() -> int:
    """Re-send jobs whose message was never sent or was lost; revive dead running jobs."""
    now = timezone.now()
    stale_running = ProfileJob.objects.filter(status=JobStatus.RUNNING, updated_at__lt=now - RUNNING_STALE_AFTER)
    for job_id in stale_running.values_list("pk", flat=True):
        # The worker died without redelivery (e.g. the broker lost the message).
        ProfileJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(status=JobStatus.QUEUED)
    resend = list(
        ProfileJob.objects.filter(status=JobStatus.PENDING, updated_at__lt=now - RESEND_PENDING_AFTER).values_list(
            "pk", flat=True
        )
    ) + list(
        ProfileJob.objects.filter(status=JobStatus.QUEUED, updated_at__lt=now - RESEND_QUEUED_AFTER).values_list(
            "pk", flat=True
        )
    )
    for job_id in resend:
        ProfileJob.objects.filter(pk=job_id).update(updated_at=now)
        profile_job_send(job_id=job_id)
    return len(resend)
