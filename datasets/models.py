import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def upload_path(instance: "Dataset", filename: str) -> str:
    """Generated name: the user's file name never reaches the filesystem."""
    return f"datasets/{uuid.uuid4().hex}.{instance.file_format or 'bin'}"


class Task(models.TextChoices):
    BINARY = "binary", "Binary classification"
    MULTICLASS = "multiclass", "Multiclass classification"
    UNKNOWN = "unknown", "Not profiled yet"


class DatasetStatus(models.TextChoices):
    APPROVED = "approved", "In the catalog"
    PROPOSED = "proposed", "Proposed by a student"
    REJECTED = "rejected", "Not accepted"


class SizeBucket(models.TextChoices):
    SMALL = "small", "Under 1,000 rows"
    MEDIUM = "medium", "1,000 – 100,000 rows"
    LARGE = "large", "Over 100,000 rows"


# A search is a few words: more, or longer ones, are a mistake or an attack.
SEARCH_MAX_WORDS = 8
SEARCH_WORD_MAX = 50

SIZE_BOUNDS = {SizeBucket.SMALL: (0, 999), SizeBucket.MEDIUM: (1000, 100_000), SizeBucket.LARGE: (100_001, None)}


class DatasetQuerySet(models.QuerySet):
    def for_course(self, course) -> "DatasetQuerySet":
        return self.filter(course=course)

    def visible_to(self, membership) -> "DatasetQuerySet":
        """Staff see every dataset of the course; students the catalog and their own proposals."""
        qs = self.for_course(membership.course)
        if membership.is_staff_role:
            return qs
        return qs.filter(Q(status=DatasetStatus.APPROVED) | Q(proposed_by=membership.user))

    def in_catalog(self) -> "DatasetQuerySet":
        return self.filter(status=DatasetStatus.APPROVED)

    def search(self, text: str) -> "DatasetQuerySet":
        """Datasets with every word in their title, description or domains: one query whatever the text.

        The words are capped in number and length (a 4 KB query of 800 words
        once cost seconds of server time per request, one filter per word).
        """
        words = list(dict.fromkeys(word[:SEARCH_WORD_MAX] for word in text.split()))[:SEARCH_MAX_WORDS]
        condition = Q()
        for word in words:
            condition &= Q(title__icontains=word) | Q(description__icontains=word) | Q(tags__icontains=word)
        return self.filter(condition)

    def of_size(self, bucket: str) -> "DatasetQuerySet":
        low, high = SIZE_BOUNDS[SizeBucket(bucket)]
        qs = self.filter(rows__gte=low)
        return qs.filter(rows__lte=high) if high is not None else qs


class Dataset(models.Model):
    course = models.ForeignKey("courseproj.Course", on_delete=models.CASCADE, related_name="datasets")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Where the data comes from (a URL or a citation).")
    licence = models.CharField(max_length=100, blank=True)
    tags = models.CharField(max_length=200, blank=True, help_text="Domains, comma-separated: biology, medicine, …")
    task = models.CharField(max_length=12, choices=Task.choices, default=Task.UNKNOWN)
    target_column = models.CharField(max_length=200, blank=True, help_text="Leave empty to let the profiler propose one.")
    builtin_key = models.CharField(max_length=50, blank=True)
    file = models.FileField(upload_to=upload_path, blank=True)
    original_name = models.CharField(max_length=120, blank=True)
    file_format = models.CharField(max_length=10, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    # Whose copy of the file this row is: "" for the catalog (staff), "student:<id>" for a
    # proposal. Unlike proposed_by it survives the account's deletion, so the constraint holds.
    uploader_key = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=DatasetStatus.choices, default=DatasetStatus.APPROVED)
    proposed_by = models.ForeignKey(
        "courseproj.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposed_datasets"
    )
    rows = models.PositiveIntegerField(null=True, blank=True)
    column_names = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    profile_job = models.ForeignKey(
        "datasets.ProfileJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            # The same file twice (a double-click, staff twice) is one dataset of its uploader:
            # a student whose file is a classmate's hidden proposal gets their own row (sharing
            # the stored file and the profile), never the other's title.
            models.UniqueConstraint(
                fields=["course", "content_hash", "uploader_key"],
                condition=~Q(content_hash=""),
                name="one_dataset_per_file_and_uploader",
            ),
            models.UniqueConstraint(
                fields=["course", "builtin_key"], condition=~Q(builtin_key=""), name="one_dataset_per_builtin"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    @property
    def content_key(self) -> str:
        """What identifies the data itself, across courses: a built-in or a file hash."""
        return f"builtin:{self.builtin_key}" if self.builtin_key else f"sha256:{self.content_hash}"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ProfileJobQuerySet(models.QuerySet):
    def unfinished(self) -> "ProfileJobQuerySet":
        return self.filter(status__in=[JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING])


class ProfileJob(models.Model):
    """One profile of one content with one target by one engine version.

    Datasets with the same content (twenty students, one file) share the job,
    so the data is profiled once. The row, not Celery, holds the state.
    """

    content_key = models.CharField(max_length=80)
    target = models.CharField(max_length=200, blank=True)
    engine_version = models.CharField(max_length=20)
    # What to load: a built-in key or a stored file's name under MEDIA_ROOT.
    builtin_key = models.CharField(max_length=50, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_format = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Who runs it: "<Celery message id>/<execution id>". Only that execution may
    # write progress or the result, so a duplicate or a revived run never adds a
    # second result; a redelivery of the same message may take over.
    runner = models.CharField(max_length=100, blank=True)
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    # What a page needs to offer a fix, e.g. for unknown_target: {"target", "suggestions", "columns"}.
    error_details = models.JSONField(default=dict, blank=True)
    # The starter notebook written after a successful profile: {"path", "data_path" (under MEDIA_ROOT),
    # "executed", "matches_profile", "baseline_balanced_accuracy"} or {"error_code", "error_message"}.
    notebook = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ProfileJobQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_key", "target", "engine_version"], name="one_job_per_content")
        ]

    def __str__(self) -> str:
        return f"{self.content_key} [{self.target or 'auto'}] {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def is_retrying(self) -> bool:
        """An earlier attempt was interrupted (killed worker, lost message, database error)."""
        if self.is_finished:
            return False
        return self.attempts > 1 or (self.attempts == 1 and self.status != JobStatus.RUNNING) or self.is_stalled

    @property
    def is_stalled(self) -> bool:
        """Running, but its worker stopped beating: it will be retried, not shown as running."""
        # Half the sweeper's threshold: the page says so before the sweeper acts.
        silent = timedelta(seconds=settings.PROFILE_STALE_SECONDS / 2)
        return self.status == JobStatus.RUNNING and self.updated_at < timezone.now() - silent

    @property
    def progress_state(self) -> str:
        """What the pages show: waiting, running, retrying, stalled, done or failed."""
        if self.is_finished:
            return self.status
        if self.is_stalled:
            return "stalled"
        if self.is_retrying:
            return "retrying"
        return "running" if self.status == JobStatus.RUNNING else "waiting"

    @property
    def percent(self) -> int:
        return round(self.progress * 100)


class WorkerCanary(models.Model):
    """The last time a worker answered /health/'s canary on a queue.

    A worker that is alive but no longer consumes is the classic Celery-with-Redis
    failure: only a task that comes back proves a queue is served.
    """

    queue = models.CharField(max_length=50, primary_key=True)
    seen_at = models.DateTimeField()
    worker = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.queue}: {self.seen_at:%Y-%m-%d %H:%M:%S} by {self.worker}"
