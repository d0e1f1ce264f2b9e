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


class CourseQuerySet(models.QuerySet):
    def for_user(self, user) -> "CourseQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


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
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CourseQuerySet.as_manager()

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

    def staff(self) -> "MembershipQuerySet":
        return self.filter(role__in=[Role.INSTRUCTOR, Role.TA])


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


# --- the mini-project planner (issue 6) ---------------------------------------

# What a plan asks for unless the instructor changes it, and a line of help each.
DEFAULT_PLAN_FIELDS = [
    "Application",
    "Stakeholders and risks",
    "Target and metric",
    "Iteration plan",
    "Data source and licence",
]
PLAN_FIELD_HELP = {
    "Application": "What would your classifier help someone do? Who would use it, and when?",
    "Stakeholders and risks": "Who is affected by its predictions, and what happens when it is wrong?",
    "Target and metric": "The column you predict, and the metric that matters for this application (and why).",
    "Iteration plan": "Your first baseline, then what you will try next and how you will know it helped.",
    "Data source and licence": "Where the data comes from and whether you may use it this way.",
}


def default_plan_fields() -> list[str]:
    return list(DEFAULT_PLAN_FIELDS)


class ProjectAssignment(models.Model):
    """A project (or homework) of a course: its dates, the plan it asks for, optionally a choice menu."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="project_assignments")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    launch_on = models.DateField("launch")
    checkin_on = models.DateField("check-in")
    due_on = models.DateField("due")
    # Labels of the questions a plan answers, in order; answers are keyed by label.
    plan_fields = models.JSONField(default=default_plan_fields, blank=True)
    needs_dataset = models.BooleanField(
        "students choose a dataset", default=True, help_text="Off for an assignment without data, like a tutorial homework."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-launch_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(launch_on__lte=models.F("checkin_on")) & Q(checkin_on__lte=models.F("due_on")),
                name="assignment_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.title


class ChoiceMenu(models.Model):
    """Options in categories and the rule a student's picks must meet (Homework 9: two from two categories)."""

    assignment = models.OneToOneField(ProjectAssignment, on_delete=models.CASCADE, related_name="menu")
    instructions = models.TextField(blank=True)
    pick_count = models.PositiveSmallIntegerField("how many to pick", default=2)
    distinct_categories = models.BooleanField("each from a different category", default=True)
    alternative_label = models.CharField(
        "alternative track", max_length=200, blank=True, help_text="Leave empty when there is no alternative."
    )
    alternative_url = models.URLField("alternative track link", blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pick_count__gte=1), name="menu_picks_at_least_one")]

    def __str__(self) -> str:
        return f"Menu of {self.assignment}"

    @property
    def rule_text(self) -> str:
        noun = "resource" if self.pick_count == 1 else "resources"
        text = f"Pick {self.pick_count} {noun}"
        if self.distinct_categories and self.pick_count > 1:
            text += f" from {self.pick_count} different categories"
        if self.alternative_label:
            text += f", or take the alternative track: {self.alternative_label}"
        return text + "."


class ChoiceCategory(models.Model):
    menu = models.ForeignKey(ChoiceMenu, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=120)
    note = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["menu", "name"], name="one_category_per_name")]

    def __str__(self) -> str:
        return self.name


class ChoiceOption(models.Model):
    category = models.ForeignKey(ChoiceCategory, on_delete=models.CASCADE, related_name="options")
    title = models.CharField(max_length=200)
    url = models.URLField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category__position", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["category", "title"], name="one_option_per_title")]

    def __str__(self) -> str:
        return self.title


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"


# The student may edit a plan only in these states.
EDITABLE_PLAN_STATUSES = (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED)


class PlanQuerySet(models.QuerySet):
    def for_course(self, course) -> "PlanQuerySet":
        return self.filter(assignment__course=course)


class Plan(models.Model):
    """One student's plan for one assignment: dataset, answers, picks and its review status."""

    assignment = models.ForeignKey(ProjectAssignment, on_delete=models.CASCADE, related_name="plans")
    student = models.ForeignKey("courseproj.User", on_delete=models.CASCADE, related_name="plans")
    dataset = models.ForeignKey(
        "datasets.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    answers = models.JSONField(default=dict, blank=True)
    takes_alternative = models.BooleanField("takes the alternative track", default=False)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["assignment", "student__name", "student__email"]
        constraints = [models.UniqueConstraint(fields=["assignment", "student"], name="one_plan_per_student")]

    def __str__(self) -> str:
        return f"{self.student}'s plan for {self.assignment}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_PLAN_STATUSES


class PlanMilestone(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=120)
    due_on = models.DateField("date")

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.due_on}: {self.title}"


class ChoicePick(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="picks")
    option = models.ForeignKey(ChoiceOption, on_delete=models.PROTECT, related_name="picks")
    reflection = models.TextField(blank=True)

    class Meta:
        ordering = ["option__category__position", "option__position"]
        constraints = [models.UniqueConstraint(fields=["plan", "option"], name="one_pick_per_option")]

    def __str__(self) -> str:
        return f"{self.plan.student} picked {self.option}"


class PlanComment(models.Model):
    """The thread between student and staff; a status change leaves a comment with its event."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("courseproj.User", null=True, on_delete=models.SET_NULL, related_name="plan_comments")
    body = models.TextField(blank=True)
    # The status this comment moved the plan to, or empty for a plain comment.
    event = models.CharField(max_length=20, choices=PlanStatus.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.plan}"
