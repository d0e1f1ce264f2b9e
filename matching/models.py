import math

from django.db import models
from django.utils import timezone


class InterestQuerySet(models.QuerySet):
    def for_course(self, course) -> "InterestQuerySet":
        return self.filter(course=course)

    def of_student(self, user) -> "InterestQuerySet":
        return self.filter(student=user)


class Interest(models.Model):
    """One dataset on one student's ranked list (rank 1 is the first choice)."""

    course = models.ForeignKey("courseproj.Course", on_delete=models.CASCADE, related_name="interests")
    student = models.ForeignKey("courseproj.User", on_delete=models.CASCADE, related_name="interests")
    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="interests")
    rank = models.PositiveSmallIntegerField()
    # On the first choice only: "I'll work on this even alone" (the matcher keeps
    # the student on it like a lock, and nobody counts them as lonely).
    solo = models.BooleanField("works on it even alone", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InterestQuerySet.as_manager()

    class Meta:
        ordering = ["rank"]
        constraints = [
            # Two tabs or a double-click can never list a dataset twice or
            # give two datasets the same rank.
            models.UniqueConstraint(fields=["course", "student", "dataset"], name="one_interest_per_dataset"),
            models.UniqueConstraint(fields=["course", "student", "rank"], name="one_interest_per_rank"),
            models.CheckConstraint(condition=models.Q(rank__gte=1), name="rank_starts_at_one"),
        ]

    def __str__(self) -> str:
        return f"{self.student} #{self.rank}: {self.dataset}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


class MatchRunQuerySet(models.QuerySet):
    def for_course(self, course) -> "MatchRunQuerySet":
        return self.filter(course=course)

    def visible_to(self, membership) -> "MatchRunQuerySet":
        """Runs are the staff's working material: students see only their circle, never a run."""
        if not membership.is_staff_role:
            return self.none()
        return self.filter(course_id=membership.course_id)

    def published(self) -> "MatchRunQuerySet":
        return self.filter(status=RunStatus.PUBLISHED)


class MatchRun(models.Model):
    """One run of the matcher for a course: its inputs, locks and result."""

    course = models.ForeignKey("courseproj.Course", on_delete=models.CASCADE, related_name="match_runs")
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.DRAFT)
    min_size = models.PositiveSmallIntegerField()
    max_size = models.PositiveSmallIntegerField(null=True, blank=True)
    # student id -> dataset id (as strings, as the engine sees them): kept by every re-run.
    locks = models.JSONField(default=dict, blank=True)
    # The engine's result (assignments, circles, alone, related, quality) plus the
    # "everyone gets their first choice" comparison and students who never ranked.
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when the circle emails went out: a redelivered task sends nothing twice.
    notified_at = models.DateTimeField(null=True, blank=True)
    # Sending attempts, and why the last one failed ("" once they went out): the matching page shows it.
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notify_error = models.CharField(max_length=300, blank=True)

    objects = MatchRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.course} run {self.pk} ({self.status})"


class Activity(models.Model):
    """The in-class matching activity of a course: the countdown and what the projector shows.

    What changed since a poller last looked is told by the course's
    `live_version`, which every service changing the board bumps.
    """

    course = models.OneToOneField("courseproj.Course", on_delete=models.CASCADE, related_name="activity")
    is_open = models.BooleanField(default=False)
    ends_at = models.DateTimeField(null=True, blank=True)
    # A draft or published run whose circles the projector shows.
    revealed_run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The course's last few replaced projector links, space-delimited (" a b "): a
    # projector still open on one is told so instead of "connection lost".
    replaced_display_tokens = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"Activity of {self.course}"

    @property
    def seconds_left(self) -> int | None:
        """Whole seconds until the countdown ends (rounded up, as the pages show it); None without one."""
        if not (self.is_open and self.ends_at):
            return None
        return max(0, math.ceil((self.ends_at - timezone.now()).total_seconds()))

    @property
    def picks_closed(self) -> bool:
        """The countdown ran out: picks stay closed until the instructor reopens them."""
        return self.seconds_left == 0

    @property
    def countdown_text(self) -> str:
        """What a countdown shows before the page's script ticks it ("4:05", "Time's up")."""
        left = self.seconds_left or 0
        return f"{left // 60}:{left % 60:02d}" if left else "Time's up"
