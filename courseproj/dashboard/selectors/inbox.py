"""The review inbox: plans waiting for approval, of every assignment of the course (or of one)."""
from dataclasses import dataclass
from datetime import datetime

from courseproj.courses.models import Course, Role
from courseproj.planner.models import Plan, PlanStatus, ProjectAssignment


@dataclass
class PendingPlan:
    plan_id: int
    student: str
    assignment: ProjectAssignment
    dataset: str
    submitted_at: datetime | None


def review_inbox(*, course: Course, assignment: ProjectAssignment | None = None) -> list[PendingPlan]:
    """Submitted plans of the course's current students, oldest first (one query)."""
    plans = (
        Plan.objects.for_course(course)
        .filter(status=PlanStatus.SUBMITTED, student__memberships__course=course,
                student__memberships__role=Role.STUDENT)
        .select_related("student", "assignment", "dataset")
        .order_by("submitted_at", "pk")
    )
    if assignment is not None:
        plans = plans.filter(assignment=assignment)
    return [
        PendingPlan(p.pk, p.student.display_name, p.assignment, p.dataset.title if p.dataset else "", p.submitted_at)
        for p in plans
    ]
