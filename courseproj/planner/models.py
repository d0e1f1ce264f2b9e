"""The planner's models. They moved here from the `courseproj` app and kept
their tables (`db_table`), so no row was copied: migration 0001 only tells
Django's state where they live now."""
from django.db import models
from django.db.models import Q

from courseproj.courses.models import Course

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


class ProjectAssignmentQuerySet(models.QuerySet):
    def visible_to(self, membership) -> "ProjectAssignmentQuerySet":
        """Every member sees the assignments of their course."""
        return self.filter(course_id=membership.course_id)


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

    objects = ProjectAssignmentQuerySet.as_manager()

    class Meta:
        db_table = "courseproj_projectassignment"
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
        db_table = "courseproj_choicemenu"
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
        db_table = "courseproj_choicecategory"
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
        db_table = "courseproj_choiceoption"
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

    def visible_to(self, membership) -> "PlanQuerySet":
        """Staff see every plan of their course; a student only their own (a classmate's is a 404)."""
        plans = self.filter(assignment__course_id=membership.course_id)
        return plans if membership.is_staff_role else plans.filter(student_id=membership.user_id)


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
        db_table = "courseproj_plan"
        ordering = ["assignment", "student__name", "student__email"]
        constraints = [models.UniqueConstraint(fields=["assignment", "student"], name="one_plan_per_student")]

    def __str__(self) -> str:
        return f"{self.student}'s plan for {self.assignment}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_PLAN_STATUSES


class PlanMilestoneQuerySet(models.QuerySet):
    def visible_to(self, membership) -> "PlanMilestoneQuerySet":
        """The milestones of the plans the member may see."""
        return self.filter(plan__in=Plan.objects.visible_to(membership))


class PlanMilestone(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=120)
    due_on = models.DateField("date")

    objects = PlanMilestoneQuerySet.as_manager()

    class Meta:
        db_table = "courseproj_planmilestone"
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.due_on}: {self.title}"


class ChoicePick(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="picks")
    option = models.ForeignKey(ChoiceOption, on_delete=models.PROTECT, related_name="picks")
    reflection = models.TextField(blank=True)

    class Meta:
        db_table = "courseproj_choicepick"
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
        db_table = "courseproj_plancomment"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.plan}"
