import re
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


# What pages call someone who has not given a name yet (sign-up asks for one,
# a roster supplies one, and the home page asks once): never a piece of their email.
UNNAMED = "Unnamed member"


def display_name_of(*, name: str) -> str:
    """What pages call a person: their name. Never their email: an email's local part
    ("lena.fischer93") is not a name and is not for classmates to see."""
    return name or UNNAMED


def greeting(name: str) -> str:
    """An email's first line: "Hello Lena Fischer," and, for someone who gave no name, a plain "Hello,"."""
    return f"Hello {name}," if name else "Hello,"


# One part of a person's name: letters, with spaces, hyphens, apostrophes and dots between.
NAME_PART = re.compile(r"[^\W\d_]+(?:[ '’.\-]+[^\W\d_]+)*\.?")


def person_name(raw: str) -> str:
    """A name as people write it: an LMS's "Fischer, Lena" becomes "Lena Fischer".

    Only when both sides read as names: anything else (a formula, "Smith, J. (TA) 2")
    is kept as it was written.
    """
    text = " ".join(raw.split())
    last, comma, first = (part.strip() for part in text.partition(","))
    if comma and NAME_PART.fullmatch(last) and NAME_PART.fullmatch(first):
        return f"{first} {last}"
    return text


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
        return display_name_of(name=self.name)


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
    # In class, a student goes from the QR code to a first pick without opening
    # their mailbox; the confirmation email still goes out, and is needed at a
    # later login (courses/adapter.py).
    email_confirmation_later = models.BooleanField(
        "students confirm their email later", default=False,
        help_text="Students who sign up through this course's join link start at once and confirm their email afterwards.",
    )
    # Students who never ranked: left out of the matching (listed for the
    # instructor) or placed where a circle needs them or where there is room.
    place_unranked = models.BooleanField(
        "place students who never ranked", default=False,
        help_text="The matcher puts them where a circle needs people or where there is room, never at a cost to "
                  "the others. Off: they are listed for you to place.",
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
    def sees_names(self) -> bool:
        """Whether this member sees who picked what by name: staff always, students unless the course is anonymous."""
        return self.is_staff_role or not self.course.anonymous

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR


class RosterEntry(models.Model):
    """A student the instructor expects: imported from the LMS's CSV, or synced from the LMS (LTI Names and Roles)."""

    class Source(models.TextChoices):
        CSV = "csv", "CSV import"
        LTI = "lti", "LMS (Names and Roles)"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="roster")
    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CSV)
    # Set by the LMS sync when the person left the LMS course (marked, never deleted): "not joined" leaves them out.
    left_at = models.DateTimeField(null=True, blank=True)

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
