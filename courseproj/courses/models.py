import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q

# No 0/O, 1/I/L: a join code is read off a projector and typed on a phone.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def new_display_token() -> str:
    return secrets.token_urlsafe(24)


def display_name_of(*, name: str, email: str) -> str:
    """What pages call a person: their name, else the part of the email before the @."""
    return name or email.split("@")[0]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person, identified by email (allauth logs in by email only)."""

    username = None
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=120, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return display_name_of(name=self.name, email=self.email)


class Course(models.Model):
    title = models.CharField(max_length=200)
    join_code = models.CharField(max_length=12, unique=True, default=new_join_code)
    # The projector's secret link; regenerating it revokes the old one.
    display_token = models.CharField(max_length=64, unique=True, default=new_display_token)
    ranking_size = models.PositiveSmallIntegerField(
        "datasets each student ranks (k)", default=3, help_text="How many datasets a student may rank."
    )
    min_circle_size = models.PositiveSmallIntegerField(
        "minimum students per chosen dataset", default=2
    )
    max_circle_size = models.PositiveSmallIntegerField(
        "maximum students per dataset", null=True, blank=True, help_text="Leave empty for no maximum."
    )
    anonymous = models.BooleanField(
        "anonymous mode", default=False, help_text="Students see how many classmates chose a dataset, not who."
    )
    interests_locked = models.BooleanField(
        default=False, help_text="Students can no longer change their rankings."
    )
    # Goes up whenever something shown live changes (a pick, a member, a
    # dataset, a setting, the activity, a matching): the projector and the
    # phones poll it with one indexed read and refetch only when it moved.
    # Bumped by the services that make such changes (courses.services.live_touch).
    live_version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Role(models.TextChoices):
    INSTRUCTOR = "instructor", "Instructor"
    TA = "ta", "TA"
    STUDENT = "student", "Student"


class MembershipQuerySet(models.QuerySet):
    def students(self) -> "MembershipQuerySet":
        return self.filter(role=Role.STUDENT)

    def visible_to(self, membership: "Membership") -> "MembershipQuerySet":
        """The members of the viewer's course."""
        return self.filter(course_id=membership.course_id)


class Membership(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey("courseproj.User", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.STUDENT)
    joined_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="one_membership_per_course")]
        ordering = ["user__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.course}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in (Role.INSTRUCTOR, Role.TA)

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR


class RosterEntry(models.Model):
    """A student the instructor expects, imported from the LMS's CSV."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="roster")
    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "email"], name="one_roster_entry_per_email"),
            models.CheckConstraint(condition=~Q(email=""), name="roster_email_not_blank"),
        ]
        ordering = ["name", "email"]

    def __str__(self) -> str:
        return self.email


def live_etag(*, course_id: int, version: int) -> str:
    """The ETag of everything a course shows live (board, phones): one format for every poller."""
    return f'"live-{course_id}-{version}"'
