"""State changes of the catalog: adding, uploading, reviewing datasets, changing a target.

Profiling jobs have their own state machine (`datasets/jobs.py`) and runner
(`datasets/runner.py`). Every change the live pages show bumps the course's
live version (`courseproj.courses.services.live_touch`).
"""
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from courseproj.courses.models import Course, Membership
from courseproj.courses.services import live_touch
from datasets.builtins import BUILTINS, load_builtin
from datasets.cells import clean_text, preview_rows
from datasets.jobs import profile_job_start
from datasets.models import Dataset, DatasetStatus, Task
from datasets.uploads import display_name, file_facts


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
                preview=preview_rows(frame),
            )
            profile_job_start(dataset=dataset)
            live_touch(course_id=course.pk)
    except IntegrityError:
        return Dataset.objects.get(course=course, builtin_key=key), False
    return dataset, True


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
    """Store an upload under a generated name; the same content is one dataset per uploader.

    Instructors add to the catalog directly; a student's upload is a proposal
    the instructor reviews. A file the uploader can already see (in the
    catalog, or their own proposal) is returned as it is. A file only hidden
    rows hold (a classmate's unreviewed or rejected proposal) becomes the
    student's own proposal, sharing the stored file and its profile, so
    nothing names the hidden row and nothing of the student's is dropped.
    Returns (dataset, created).
    """
    facts = file_facts(uploaded)
    course = membership.course
    same_file = Dataset.objects.filter(course=course, content_hash=facts.content_hash)
    seen = sorted(same_file.visible_to(membership), key=lambda d: (d.status != DatasetStatus.APPROVED, d.pk))
    if seen:
        return seen[0], False
    hidden = same_file.order_by("pk").first()
    student = not membership.is_staff_role
    dataset = Dataset(
        course=course,
        title=clean_text(title),
        description=clean_text(description),
        source=clean_text(source),
        licence=clean_text(licence),
        tags=clean_text(tags),
        target_column=clean_text(target_column),
        original_name=display_name(clean_text(uploaded.name or "")),
        file_format=file_format,
        content_hash=facts.content_hash,
        size_bytes=facts.size_bytes,
        status=DatasetStatus.PROPOSED if student else DatasetStatus.APPROVED,
        proposed_by=membership.user if student else None,
        uploader_key=f"student:{membership.user_id}" if student else "",
    )
    try:
        with transaction.atomic():
            if hidden:
                dataset.file.name = hidden.file.name  # the same bytes are stored once
            else:
                dataset.file.save("upload", uploaded, save=False)
            dataset.save()
            profile_job_start(dataset=dataset)
            live_touch(course_id=course.pk)
    except IntegrityError:
        # A double-click raced us to the same content: keep the first row.
        if not hidden:
            dataset.file.delete(save=False)
        return same_file.get(uploader_key=dataset.uploader_key), False
    return dataset, True


def dataset_review(*, dataset: Dataset, approve: bool) -> Dataset:
    dataset.status = DatasetStatus.APPROVED if approve else DatasetStatus.REJECTED
    with transaction.atomic():
        dataset.save(update_fields=["status"])
        live_touch(course_id=dataset.course_id)
    return dataset


def dataset_set_target(*, dataset: Dataset, target_column: str) -> Dataset:
    """A new target is a new profile (a different job, or a finished one reused).

    The target must be one of the dataset's columns: those of its profile, or, when the profile failed
    because the target named no column (`unknown_target`), those the failed job listed.
    """
    job = dataset.profile_job
    columns = dataset.column_names or ((job.error_details or {}).get("columns") if job else None) or []
    if target_column and columns and target_column not in columns:
        raise ValidationError(f"“{target_column}” is not a column of this dataset.")
    with transaction.atomic():
        dataset.target_column = clean_text(target_column)
        dataset.save(update_fields=["target_column"])
        profile_job_start(dataset=dataset)
        live_touch(course_id=dataset.course_id)
    return dataset


