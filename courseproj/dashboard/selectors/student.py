"""The page of one student, for staff."""
from dataclasses import dataclass

from courseproj.courses.models import Course, Membership
from courseproj.planner.models import Plan, ProjectAssignment
from courseproj.planner.selectors import chosen_datasets, student_ids_of
from datasets.models import Dataset
from matching.models import Interest


@dataclass
class StudentOverview:
    ranking: list[Interest]
    dataset: Dataset | None
    source: str
    circle: list[str]
    plans: list[tuple[ProjectAssignment, Plan | None]]


def student_overview(*, course: Course, member: Membership) -> StudentOverview:
    """One student, for staff: ranking, dataset and circle, and their plan for every assignment."""
    ranking = list(Interest.objects.for_course(course).of_student(member.user).select_related("dataset"))
    assignments = list(ProjectAssignment.objects.filter(course=course))
    plans = {p.assignment_id: p for p in Plan.objects.filter(assignment__course=course, student=member.user)
             .select_related("dataset").prefetch_related("picks__option__category")}
    latest = assignments[0] if assignments else None
    choices = chosen_datasets(course=course, assignment=latest, student_ids=student_ids_of(course))
    dataset_id = choices.by_student.get(member.user_id)
    circle_ids = [s for s in choices.circle(dataset_id) if s != member.user_id]
    circle = [m.user.display_name for m in Membership.objects.filter(course=course, user_id__in=circle_ids)
              .select_related("user")]
    return StudentOverview(
        ranking=ranking,
        dataset=Dataset.objects.filter(pk=dataset_id).first() if dataset_id else None,
        source=choices.source,
        circle=circle,
        plans=[(a, plans.get(a.pk)) for a in assignments],
    )


