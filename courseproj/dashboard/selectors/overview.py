"""The overview page: who is stuck, what was chosen, how the profiles and plans stand.

It runs a fixed number of queries, whatever the class size: rows are fetched
per table in one go and joined in Python, so the dashboard of a 300-student
course costs what a 10-student one does.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from courseproj.courses.models import Course, Membership, RosterEntry
from courseproj.courses.selectors import roster_not_joined
from courseproj.planner.models import ChoicePick, PlanStatus, ProjectAssignment
from courseproj.planner.selectors import chosen_datasets
from datasets.models import Dataset, JobStatus, ProfileJob
from datasets.report import bar_chart
from datasets.selectors import baseline_to_beat
from matching.models import Interest

LISTS = {
    "not_ranked": "Not ranked",
    "no_plan": "No plan submitted",
    "alone": "Alone on a dataset",
    "waiting": "Plan waiting for approval",
    "changes_requested": "Changes requested",
    "approved": "Plan approved",
}
# The list a plan's status puts its student on.
PLAN_LIST = {
    PlanStatus.DRAFT: "no_plan",
    PlanStatus.SUBMITTED: "waiting",
    PlanStatus.CHANGES_REQUESTED: "changes_requested",
    PlanStatus.APPROVED: "approved",
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
    datasets = _datasets(course)
    rankings, first_choices = _rankings(course, datasets)
    choices = chosen_datasets(course=course, assignment=assignment, student_ids=ids, first_choices=first_choices)
    plans, picks, picked_titles = _plans_and_picks(assignment, ids)
    rows = _student_rows(students, rankings, choices, plans, picks, datasets, with_plans=assignment is not None)
    chosen = sorted(choices.sizes().items(), key=lambda item: (-item[1], _title(datasets, item[0])))
    board = Dashboard(
        assignment=assignment,
        assignments=list(ProjectAssignment.objects.filter(course=course)),
        rows=rows,
        not_joined=roster_not_joined(course=course),
        source=choices.source,
        choice_chart=_choice_chart(chosen, datasets),
        datasets=_dataset_lines(chosen, datasets),
        jobs=_job_counts(datasets),
        plan_counts=_plan_counts(rows) if assignment is not None else [],
        pick_chart=bar_chart([(t, n, str(n), False) for t, n in picked_titles.most_common()]) if picked_titles else None,
    )
    board.counts = {"students": len(rows), "not_joined": len(board.not_joined),
                    **{name: len(board.in_list(name)) for name in LISTS}}
    return board


def _datasets(course: Course) -> dict[int, Dataset]:
    """The course's datasets with their job's status (not its large result)."""
    return {
        d.pk: d for d in Dataset.objects.for_course(course).select_related("profile_job")
        .defer("profile_job__result", "preview", "column_names", "description")
    }


def _title(datasets: dict[int, Dataset], dataset_id: int) -> str:
    return datasets[dataset_id].title if dataset_id in datasets else ""


def _rankings(course: Course, datasets: dict[int, Dataset]) -> tuple[dict[int, list[str]], dict[int, int]]:
    """Each student's ranked titles, and their first choice's id."""
    rankings: dict[int, list[str]] = defaultdict(list)
    first_choices: dict[int, int] = {}
    rows = Interest.objects.for_course(course).order_by("student_id", "rank")
    for student_id, dataset_id, rank in rows.values_list("student_id", "dataset_id", "rank"):
        rankings[student_id].append(_title(datasets, dataset_id) or "?")
        if rank == 1:
            first_choices[student_id] = dataset_id
    return rankings, first_choices


def _plans_and_picks(assignment: ProjectAssignment | None, ids: set[int]) -> tuple[dict, dict, Counter]:
    """The assignment's plans by student, each student's picks, and how often each option was picked."""
    plans: dict[int, dict] = {}
    picks: dict[int, list[str]] = defaultdict(list)
    picked_titles: Counter = Counter()
    if assignment is None:
        return plans, picks, picked_titles
    plans = {p["student_id"]: p for p in assignment.plans.values("pk", "student_id", "status", "takes_alternative")}
    rows = ChoicePick.objects.filter(plan__assignment=assignment)
    for student_id, category, title in rows.values_list("plan__student_id", "option__category__name", "option__title"):
        if student_id in ids:  # a student who left the course keeps their rows, not their say
            picks[student_id].append(f"{category}: {title}")
            picked_titles[title] += 1
    return plans, picks, picked_titles


def _student_rows(students, rankings, choices, plans, picks, datasets, *, with_plans: bool) -> list[StudentRow]:
    sizes = choices.sizes()
    names = {m.user_id: m.user.display_name for m in students}
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
        if with_plans:
            row.lists.add(PLAN_LIST[PlanStatus(row.plan_status or PlanStatus.DRAFT)])
        rows.append(row)
    return rows


def _choice_chart(chosen: list[tuple[int, int]], datasets: dict[int, Dataset]) -> dict | None:
    bars = [(datasets[d].title, n, f"{n} — alone" if n == 1 else str(n), n == 1) for d, n in chosen if d in datasets]
    return bar_chart(bars) if bars else None


def _dataset_lines(chosen: list[tuple[int, int]], datasets: dict[int, Dataset]) -> list[DatasetLine]:
    """Each chosen dataset with its baseline to beat; the results of only those datasets are read."""
    job_ids = [datasets[d].profile_job_id for d, _ in chosen if d in datasets and datasets[d].profile_job_id]
    results = dict(ProfileJob.objects.filter(pk__in=job_ids).values_list("pk", "result"))
    return [
        DatasetLine(datasets[d], n, baseline_to_beat(results.get(datasets[d].profile_job_id)))
        for d, n in chosen if d in datasets
    ]


def _job_counts(datasets: dict[int, Dataset]) -> list[tuple[str, str, int]]:
    counts = Counter(d.profile_job.status if d.profile_job else "none" for d in datasets.values())
    return [(s.value, s.label, counts[s.value]) for s in JobStatus if counts[s.value]]


def _plan_counts(rows: list[StudentRow]) -> list[tuple[str, str, int]]:
    counts = Counter(r.plan_status or "not_started" for r in rows)
    return [("not_started", "Not started", counts["not_started"])] + [(s.value, s.label, counts[s.value]) for s in PlanStatus]


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
