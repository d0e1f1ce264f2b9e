"""Reads for the planner and the instructor dashboard.

Every selector here runs a fixed number of queries, whatever the class size:
rows are fetched per table in one go and joined in Python, so the dashboard of
a 300-student course costs what a 10-student one does.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from courseproj.models import (
    ChoiceCategory,
    ChoiceMenu,
    ChoicePick,
    Course,
    Membership,
    Plan,
    PlanStatus,
    ProjectAssignment,
    RosterEntry,
)
from datasets.models import Dataset, JobStatus, ProfileJob
from datasets.report import bar_chart
from matching.models import Interest
from matching.selectors import published_assignments

# --- shared reads --------------------------------------------------------------


def best_baseline(result: dict | None) -> dict | None:
    """The baseline to beat from a profile: the profiler's best model, else the best balanced accuracy."""
    baselines = [b for b in (result or {}).get("baselines") or [] if b.get("balanced_accuracy") is not None]
    if not baselines:
        return None
    best = (result or {}).get("best_model")
    return next((b for b in baselines if b.get("model") == best), None) or max(
        baselines, key=lambda b: b["balanced_accuracy"]
    )


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


# --- the plan page ---------------------------------------------------------------


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
            baseline = best_baseline(dataset.profile_job.result if dataset and dataset.profile_job else None)
            others = [s for s in choices.circle(dataset_id) if s != plan.student_id]
            classmates = [m.user.display_name for m in Membership.objects.filter(course=course, user_id__in=others)
                          .select_related("user")]
    timeline = [TimelineEntry(assignment.launch_on, "Launch"), TimelineEntry(assignment.checkin_on, "Check-in"),
                TimelineEntry(assignment.due_on, "Due")]
    timeline += [TimelineEntry(m.due_on, m.title, m.pk) for m in plan.milestones.all()]
    timeline.sort(key=lambda e: (e.day, e.milestone_id or 0))
    menu = ChoiceMenu.objects.filter(assignment=assignment).first()
    categories = list(menu.categories.prefetch_related("options")) if menu else []
    show_names = viewer.is_staff_role or not course.anonymous
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
    for option_id, name, email in ChoicePick.objects.filter(plan__assignment=assignment).order_by(
        "plan__student__name", "plan__student__email"
    ).values_list("option_id", "plan__student__name", "plan__student__email"):
        names[option_id].append(name or email.split("@")[0])
    tallies = []
    menu = ChoiceMenu.objects.filter(assignment=assignment).first()
    if menu:
        for category in menu.categories.prefetch_related("options"):
            tallies += [OptionTally(category.name, o.title, names[o.pk]) for o in category.options.all()]
    alternative = [p.student.display_name for p in assignment.plans.filter(takes_alternative=True).select_related("student")]
    return tallies, alternative


# The shared bar chart leaves room for about 25 characters of label; the tables next to it give the full text.
LABEL_CHARS = 24


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def tally_chart(tallies: list[OptionTally]) -> dict | None:
    picked = sorted((t for t in tallies if t.names), key=lambda t: -len(t.names))
    return bar_chart([(_label(t.title), len(t.names), str(len(t.names)), False) for t in picked]) if picked else None


# --- the dashboard ---------------------------------------------------------------

LISTS = {
    "not_ranked": "Not ranked",
    "no_plan": "No plan submitted",
    "alone": "Alone on a dataset",
    "waiting": "Plan waiting for approval",
    "changes_requested": "Changes requested",
    "approved": "Plan approved",
}


@dataclass
class StudentRow:
    membership: Membership
    ranking: list[str]
    dataset: Dataset | None
    circle: list[str]
    plan_id: int | None = None
    plan_status: str = ""
    plan_status_label: str = "Not started"
    picks: list[str] = field(default_factory=list)
    alternative: bool = False
    lists: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.membership.user.display_name

    @property
    def email(self) -> str:
        return self.membership.user.email


@dataclass
class DatasetLine:
    dataset: Dataset
    students: int
    baseline: dict | None


@dataclass
class Dashboard:
    assignment: ProjectAssignment | None
    assignments: list[ProjectAssignment]
    rows: list[StudentRow]
    not_joined: list[RosterEntry]
    source: str
    choice_chart: dict | None
    datasets: list[DatasetLine]
    jobs: list[tuple[str, str, int]]  # (status, label, count)
    plan_counts: list[tuple[str, str, int]]
    pick_chart: dict | None
    counts: dict[str, int] = field(default_factory=dict)

    def in_list(self, name: str) -> list[StudentRow]:
        return [r for r in self.rows if name in r.lists]


def dashboard(*, course: Course, assignment: ProjectAssignment | None) -> Dashboard:
    """The instructor's one page: who is stuck, what was chosen, how the profiles and plans stand.

    Queries: students, roster, interests, the published run, plans, picks,
    datasets with their jobs, the chosen datasets' results, the assignments
    list and (with a menu) its options — the same number for 10 or 10,000 students.
    """
    students = list(Membership.objects.filter(course=course).students().select_related("user"))
    ids = {m.user_id for m in students}
    joined_emails = {e.lower() for e in Membership.objects.filter(course=course).values_list("user__email", flat=True)}
    not_joined = [e for e in RosterEntry.objects.filter(course=course) if e.email.lower() not in joined_emails]

    datasets = {
        d.pk: d for d in Dataset.objects.for_course(course).select_related("profile_job")
        .defer("profile_job__result", "preview", "column_names", "description")
    }
    rankings: dict[int, list[str]] = defaultdict(list)
    first_choices: dict[int, int] = {}
    for student_id, dataset_id, rank in Interest.objects.for_course(course).order_by("student_id", "rank").values_list(
        "student_id", "dataset_id", "rank"
    ):
        rankings[student_id].append(datasets[dataset_id].title if dataset_id in datasets else "?")
        if rank == 1:
            first_choices[student_id] = dataset_id
    choices = chosen_datasets(course=course, assignment=assignment, student_ids=ids, first_choices=first_choices)
    sizes = choices.sizes()
    names = {m.user_id: m.user.display_name for m in students}

    plans: dict[int, dict] = {}
    picks: dict[int, list[str]] = defaultdict(list)
    picked_titles: Counter = Counter()
    if assignment is not None:
        plans = {p["student_id"]: p for p in assignment.plans.values("pk", "student_id", "status", "takes_alternative")}
        for student_id, category, title in ChoicePick.objects.filter(plan__assignment=assignment).values_list(
            "plan__student_id", "option__category__name", "option__title"
        ):
            if student_id in ids:  # a student who left the course keeps their rows, not their say
                picks[student_id].append(f"{category}: {title}")
                picked_titles[title] += 1

    rows = []
    for m in students:
        dataset_id = choices.by_student.get(m.user_id)
        row = StudentRow(
            membership=m,
            ranking=rankings.get(m.user_id, []),
            dataset=datasets.get(dataset_id),
            circle=[names[s] for s in choices.circle(dataset_id) if s != m.user_id],
            picks=picks.get(m.user_id, []),
        )
        plan = plans.get(m.user_id)
        if plan:
            row.plan_id, row.plan_status = plan["pk"], plan["status"]
            row.plan_status_label = PlanStatus(plan["status"]).label
            row.alternative = plan["takes_alternative"]
        if not row.ranking:
            row.lists.add("not_ranked")
        if dataset_id and sizes[dataset_id] == 1:
            row.lists.add("alone")
        if assignment is not None:
            status = row.plan_status or PlanStatus.DRAFT
            row.lists.add({PlanStatus.DRAFT: "no_plan", PlanStatus.SUBMITTED: "waiting",
                           PlanStatus.CHANGES_REQUESTED: "changes_requested", PlanStatus.APPROVED: "approved"}[status])
        rows.append(row)

    chosen = sorted(sizes.items(), key=lambda item: (-item[1], datasets[item[0]].title if item[0] in datasets else ""))
    choice_chart = bar_chart([
        (_label(datasets[d].title), n, f"{n} — alone" if n == 1 else str(n), n == 1) for d, n in chosen if d in datasets
    ]) if chosen else None
    results = dict(ProfileJob.objects.filter(
        pk__in=[datasets[d].profile_job_id for d, _ in chosen if d in datasets and datasets[d].profile_job_id]
    ).values_list("pk", "result"))
    dataset_lines = [
        DatasetLine(datasets[d], n, best_baseline(results.get(datasets[d].profile_job_id))) for d, n in chosen if d in datasets
    ]
    job_counts = Counter(d.profile_job.status if d.profile_job else "none" for d in datasets.values())
    jobs = [(s.value, s.label, job_counts[s.value]) for s in JobStatus if job_counts[s.value]]
    plan_counts = []
    pick_chart = None
    if assignment is not None:
        status_counts = Counter(r.plan_status or "not_started" for r in rows)
        plan_counts = [("not_started", "Not started", status_counts["not_started"])] + [
            (s.value, s.label, status_counts[s.value]) for s in PlanStatus
        ]
        pick_chart = bar_chart([(_label(t), n, str(n), False) for t, n in picked_titles.most_common()]) if picked_titles else None
    board = Dashboard(
        assignment=assignment,
        assignments=list(ProjectAssignment.objects.filter(course=course)),
        rows=rows,
        not_joined=not_joined,
        source=choices.source,
        choice_chart=choice_chart,
        datasets=dataset_lines,
        jobs=jobs,
        plan_counts=plan_counts,
        pick_chart=pick_chart,
    )
    board.counts = {"students": len(rows), "not_joined": len(not_joined),
                    **{name: len(board.in_list(name)) for name in LISTS}}
    return board


def filter_rows(rows: list[StudentRow], *, q: str = "", list_name: str = "", dataset_id: int | None = None,
                ) -> list[StudentRow]:
    """The dashboard's filters and search, applied to rows already in memory."""
    for word in q.lower().split():
        rows = [r for r in rows if word in r.name.lower() or word in r.email.lower()]
    if list_name:
        rows = [r for r in rows if list_name in r.lists]
    if dataset_id:
        rows = [r for r in rows if r.dataset and r.dataset.pk == dataset_id]
    return rows


# --- a page per student ------------------------------------------------------------


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


# --- the CSV export ------------------------------------------------------------------

EXPORT_HEADER = ["Name", "Email", "In the course", "Ranking", "Dataset", "Circle size", "Circle",
                 "Plan status", "Picks", "Alternative track"]


def export_rows(*, course: Course, assignment: ProjectAssignment | None) -> list[list]:
    """One row per student (and per roster entry who never joined), values verbatim: the writer neutralises."""
    board = dashboard(course=course, assignment=assignment)
    rows: list[list] = [list(EXPORT_HEADER)]
    for r in board.rows:
        rows.append([
            r.name, r.email, "joined", "; ".join(r.ranking), r.dataset.title if r.dataset else "",
            len(r.circle) + 1 if r.dataset else 0, "; ".join(r.circle),
            r.plan_status_label if assignment else "", "; ".join(r.picks), "yes" if r.alternative else "no",
        ])
    for entry in board.not_joined:
        rows.append([entry.name, entry.email, "not joined", "", "", 0, "", "", "", "no"])
    return rows
