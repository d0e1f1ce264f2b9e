"""Reads for the planner's pages: which dataset a student works on, the plan page, who picked what.

Each selector runs a fixed number of queries, whatever the class size.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from courseproj.courses.models import Course, Membership, display_name_of
from courseproj.planner.models import ChoiceCategory, ChoiceMenu, ChoicePick, Plan, ProjectAssignment
from datasets.models import Dataset
from datasets.report import bar_chart
from datasets.selectors import baseline_to_beat
from matching.models import Interest
from matching.selectors import published_assignments


class Source:
    MATCHING = "the published matching"
    PLANS = "plans, else first choices"


@dataclass
class Choices:
    """Which dataset each student works on, and where that came from."""

    source: str
    by_student: dict[int, int]

    def circle(self, dataset_id: int | None) -> list[int]:
        return [s for s, d in self.by_student.items() if d == dataset_id] if dataset_id else []

    def sizes(self) -> Counter:
        return Counter(self.by_student.values())


def chosen_datasets(
    *, course: Course, assignment: ProjectAssignment | None, student_ids: set[int],
    first_choices: dict[int, int] | None = None,
) -> Choices:
    """Student id → dataset id: the published matching when there is one; otherwise the
    dataset a student's plan names, else their first choice (a course that runs no matching)."""
    published = published_assignments(course=course)
    if published:
        return Choices(Source.MATCHING, {s: d for s, d in published.items() if d and s in student_ids})
    if first_choices is None:
        first_choices = dict(
            Interest.objects.for_course(course).filter(rank=1).values_list("student_id", "dataset_id")
        )
    chosen = {s: d for s, d in first_choices.items() if s in student_ids}
    if assignment is not None and assignment.needs_dataset:
        planned = assignment.plans.filter(dataset__isnull=False).values_list("student_id", "dataset_id")
        chosen.update((s, d) for s, d in planned if s in student_ids)
    return Choices(Source.PLANS, chosen)


def student_ids_of(course: Course) -> set[int]:
    return set(Membership.objects.filter(course=course).students().values_list("user_id", flat=True))


@dataclass
class TimelineEntry:
    day: date
    title: str
    milestone_id: int | None = None  # None: a date of the assignment, not the student's own


@dataclass
class PlanPage:
    matched: bool
    dataset: Dataset | None
    baseline: dict | None
    classmates: list[str]
    classmate_count: int
    timeline: list[TimelineEntry]
    menu: ChoiceMenu | None
    categories: list[ChoiceCategory]
    picks: dict[int, ChoicePick]
    comments: list
    answers: list[tuple[str, str]]


def plan_page(*, plan: Plan, viewer: Membership) -> PlanPage:
    """Everything the plan page shows. Names of classmates follow the course's anonymous mode."""
    assignment, course = plan.assignment, viewer.course
    matched = bool(published_assignments(course=course))
    dataset, baseline, classmates = None, None, []
    if assignment.needs_dataset:
        choices = chosen_datasets(course=course, assignment=assignment, student_ids=student_ids_of(course))
        dataset_id = choices.by_student.get(plan.student_id) if matched else plan.dataset_id
        if dataset_id:
            dataset = Dataset.objects.select_related("profile_job").filter(pk=dataset_id).first()
            baseline = baseline_to_beat(dataset.profile_job.result if dataset and dataset.profile_job else None)
            others = [s for s in choices.circle(dataset_id) if s != plan.student_id]
            classmates = [m.user.display_name for m in Membership.objects.filter(course=course, user_id__in=others)
                          .select_related("user")]
    timeline = [TimelineEntry(assignment.launch_on, "Launch"), TimelineEntry(assignment.checkin_on, "Check-in"),
                TimelineEntry(assignment.due_on, "Due")]
    timeline += [TimelineEntry(m.due_on, m.title, m.pk) for m in plan.milestones.all()]
    timeline.sort(key=lambda e: (e.day, e.milestone_id or 0))
    menu = ChoiceMenu.objects.filter(assignment=assignment).first()
    categories = list(menu.categories.prefetch_related("options")) if menu else []
    show_names = viewer.sees_names
    return PlanPage(
        matched=matched,
        dataset=dataset,
        baseline=baseline,
        classmates=classmates if show_names else [],
        classmate_count=len(classmates),
        timeline=timeline,
        menu=menu,
        categories=categories,
        picks={p.option_id: p for p in plan.picks.select_related("option__category")},
        comments=list(plan.comments.select_related("author")),
        answers=[(label, plan.answers.get(label, "")) for label in assignment.plan_fields],
    )


@dataclass
class OptionTally:
    category: str
    title: str
    names: list[str]


def pick_tally(*, assignment: ProjectAssignment) -> tuple[list[OptionTally], list[str]]:
    """Who picked what and how often; and who took the alternative track."""
    names: dict[int, list[str]] = defaultdict(list)
    for option_id, name in ChoicePick.objects.filter(plan__assignment=assignment).order_by(
        "plan__student__name", "plan__student__email"
    ).values_list("option_id", "plan__student__name"):
        names[option_id].append(display_name_of(name=name))
    tallies = []
    menu = ChoiceMenu.objects.filter(assignment=assignment).first()
    if menu:
        for category in menu.categories.prefetch_related("options"):
            tallies += [OptionTally(category.name, o.title, names[o.pk]) for o in category.options.all()]
    alternative = [p.student.display_name for p in assignment.plans.filter(takes_alternative=True).select_related("student")]
    return tallies, alternative


def tally_chart(tallies: list[OptionTally]) -> dict | None:
    picked = sorted((t for t in tallies if t.names), key=lambda t: -len(t.names))
    return bar_chart([(t.title, len(t.names), str(len(t.names)), False) for t in picked]) if picked else None


