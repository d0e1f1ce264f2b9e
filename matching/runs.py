"""Reads of matching runs: the editor's view of a run, a move's preview, a student's circle, the circle emails.

A run's result keeps the engine's output with ids as strings: students by user
id, datasets by dataset id. Everything here turns those into names and titles.
"""
from dataclasses import dataclass, field

from django.conf import settings

from courseproj.courses.models import Course, greeting
from datasets.models import Dataset
from matching.models import MatchRun, RunStatus

# The editor's short word for each reason code of the engine (`engine.REASONS`).
REASON_LABELS = {
    "locked": "placed by you",
    "previous": "kept from the published matching",
    "first_choice_full": "first choice full",
    "first_choice_too_few": "too few chose their first choice",
    "no_better_circle": "no circle on a higher choice",
    "others_worse": "a higher choice costs the others",
    "others_alone": "a higher choice leaves others alone",
    "others_lower": "a higher choice moves others down",
    "related_circle": "joined a similar circle",
    "no_room": "every choice full",
    "higher_choices_taken": "higher choices full",
    "unproven": "not proven best",
    "empty_list": "ranked nothing",
    "unranked": "never ranked",
    "unranked_no_room": "never ranked",
    "not_computed": "no reason (out of time)",
}
ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}
REMOVED = "(a dataset that was removed)"
LEFT = "(left the course)"


def current_run(*, course: Course) -> MatchRun | None:
    """The draft being worked on, else the published run."""
    runs = MatchRun.objects.for_course(course)
    return runs.filter(status=RunStatus.DRAFT).first() or runs.published().first()


def readable(explanation: dict | None, titles: dict[str, str]) -> str:
    """The sentence a student reads: the engine's template with dataset titles in the places it gives for them.

    A run stored before the engine gave templates shows its sentence as it is (with ids).
    """
    if not explanation:
        return ""
    template = explanation.get("template")
    if template is None:
        return explanation.get("detail") or ""
    return template.format(*(titles.get(str(d), REMOVED) for d in explanation.get("datasets") or []))


def _titles(course: Course) -> dict[str, str]:
    return {str(pk): title for pk, title in Dataset.objects.for_course(course).values_list("pk", "title")}


def _names(course: Course) -> dict[str, str]:
    return {str(m.user_id): m.user.display_name for m in course.memberships.select_related("user")}


@dataclass
class RunMember:
    """A student in the editor: where they are, which choice that is, and why."""

    student_id: int
    name: str
    rank: int | None  # None: not on their list (placed by the instructor, never ranked, unassigned)
    reason: str  # the editor's short word ("" on the first choice)
    detail: str  # the sentence the student reads
    dataset: str = ""  # the title of their dataset in the run ("" for none)
    locked: bool = False
    solo: bool = False
    moved: bool = False
    new: bool = False  # not in the published matching this run started from

    @property
    def rank_label(self) -> str:
        if self.rank is not None:
            return f"{ORDINALS.get(self.rank, f'{self.rank}th')} choice"
        return "never ranked" if self.reason == REASON_LABELS["unranked"] else "not on their list"


@dataclass
class CircleView:
    dataset_id: int | None
    title: str
    members: list[str]  # names ("" when the projector is anonymous)
    locked: bool
    alone: bool  # lonely: one student, not by choice
    people: list[RunMember] = field(default_factory=list)
    solo: bool = False  # one student who chose to work on it even alone


@dataclass
class RunView:
    run: MatchRun
    circles: list[CircleView]
    never_ranked: list[RunMember]  # ranked nothing: placed ones show their circle, the rest have none
    quality: dict
    first_choice: dict
    student_names: dict[str, str]
    dataset_titles: dict[str, str]
    moved: list[str] = field(default_factory=list)  # names
    new: list[str] = field(default_factory=list)  # names of late joiners placed by this run

    @property
    def unplaced(self) -> list[RunMember]:
        return [m for m in self.never_ranked if not m.dataset]

    def member(self, student_id: int) -> RunMember | None:
        people = [p for c in self.circles for p in c.people] + self.never_ranked
        return next((p for p in people if p.student_id == student_id), None)

    def rank_profile(self) -> list[tuple[str, int]]:
        """How many got their 1st, 2nd, … choice, in words ("off_list": placed by a move)."""
        words = {"off_list": "placed by you", "unassigned": "unassigned"}
        return [
            (words.get(key, f"choice {key}"), count)
            for key, count in (self.quality.get("rank_profile") or {}).items()
            if count or key not in words
        ]

    def student_choices(self) -> list[tuple[int, str]]:
        """The run's students (matched or never ranked) for the "move" form, by name."""
        result = self.run.result or {}
        ids = {int(s) for s in result.get("assignments") or {}} | set(result.get("not_ranked") or [])
        names = {i: self.student_names.get(str(i), LEFT) for i in ids}
        return sorted(names.items(), key=lambda item: item[1].lower())

    def circle_choices(self) -> list[tuple[int, str]]:
        """The datasets a student can be moved to: the circles first (with their size), then the rest."""
        sizes = {c.dataset_id: len(c.members) for c in self.circles}
        catalog = sorted(self.dataset_titles.items(), key=lambda item: (-sizes.get(int(item[0]), 0), item[1].lower()))
        return [(int(d), f"{title} ({sizes[int(d)]} in the circle)" if int(d) in sizes else f"{title} (nobody yet)")
                for d, title in catalog]


def _member(student: str, result: dict, names: dict[str, str], titles: dict[str, str], locks: dict) -> RunMember:
    explanation = (result.get("explanations") or {}).get(student)
    previous = result.get("previous_assignments") or {}
    dataset = (result.get("assignments") or {}).get(student)
    started_from_published = result.get("previous_run") is not None
    return RunMember(
        student_id=int(student),
        name=names.get(student, LEFT),
        rank=explanation["rank"] if explanation else 1,
        reason=REASON_LABELS.get(explanation["reason"], explanation["reason"]) if explanation else "",
        detail=readable(explanation, titles),
        dataset=titles.get(dataset, REMOVED) if dataset else "",
        locked=student in locks,
        solo=student in (result.get("solo") or []) and (result.get("circles") or {}).get(dataset or "") == [student],
        moved=student in (result.get("moved") or []),
        new=started_from_published and bool(dataset) and student not in previous,
    )


def run_view(*, run: MatchRun, show_names: bool = True) -> RunView:
    """A run's circles with names, titles, and each student's rank and reason (a dataset removed since shows as such)."""
    course = run.course
    result = run.result or {}
    names = _names(course)
    titles = {str(pk): title for pk, title in Dataset.objects.for_course(course).in_catalog().values_list("pk", "title")}
    all_titles = _titles(course)
    alone = set(result.get("alone") or [])
    circles = []
    for dataset_id, students in sorted(
        (result.get("circles") or {}).items(), key=lambda item: (-len(item[1]), all_titles.get(item[0], ""))
    ):
        people = [_member(s, result, names, all_titles, run.locks) for s in students]
        circles.append(
            CircleView(
                dataset_id=int(dataset_id),
                title=all_titles.get(dataset_id, REMOVED),
                members=[names.get(s, LEFT) if show_names else "" for s in students],
                locked=bool(students) and all(run.locks.get(s) == dataset_id for s in students),
                alone=len(students) == 1 and students[0] in alone,
                people=sorted(people, key=lambda p: (p.rank or 99, p.name.lower())),
                solo=len(people) == 1 and people[0].solo,
            )
        )
    never_ranked = [_member(str(s), result, names, all_titles, run.locks) for s in result.get("not_ranked") or []]
    members = [p for c in circles for p in c.people]
    return RunView(
        run=run,
        circles=circles,
        never_ranked=sorted(never_ranked, key=lambda p: p.name.lower()),
        quality=result.get("quality") or {},
        first_choice=result.get("first_choice") or {},
        student_names=names,
        dataset_titles=titles,
        moved=sorted(p.name for p in members if p.moved),
        new=sorted(p.name for p in members if p.new),
    )


# --- a move's preview ---------------------------------------------------------------


@dataclass
class QualityChange:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class MovePreview:
    changes: list[QualityChange]
    others: list[tuple[str, str, str]]  # (name, from, to) of the other students the move shifts


def _percent(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _number(value) -> str:
    return "—" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def move_preview(*, run: MatchRun, payload: dict, student_id: int) -> MovePreview:
    """What a move changes: the quality numbers before and after, and who else changes circle."""
    before, after = run.result.get("quality") or {}, payload.get("quality") or {}
    rows = [
        ("Share their dataset", _percent(before.get("buddy_rate")), _percent(after.get("buddy_rate"))),
        ("Mean rank", _number(before.get("mean_rank")), _number(after.get("mean_rank"))),
        ("Alone", _number(before.get("alone")), _number(after.get("alone"))),
        ("Unassigned", _number(len(before.get("unassigned") or [])), _number(len(after.get("unassigned") or []))),
    ]
    if after.get("previous"):
        rows.append(("Moved from the published matching", _number(before.get("moved")), _number(after.get("moved"))))
    names, titles = _names(run.course), _titles(run.course)
    old, new = run.result.get("assignments") or {}, payload.get("assignments") or {}
    others = [
        (names.get(s, LEFT), titles.get(old.get(s) or "", "no dataset"), titles.get(d or "", "no dataset"))
        for s, d in new.items()
        if s != str(student_id) and old.get(s) != d
    ]
    return MovePreview([QualityChange(*row) for row in rows], sorted(others))


# --- a student's circle and the emails -----------------------------------------------


@dataclass
class StudentCircle:
    dataset_id: int
    dataset_title: str
    classmates: list[str]
    related_title: str | None
    reason: str = ""  # why this dataset, in one sentence ("" on the first choice)


def circles_of(*, run: MatchRun, student_ids: list[int]) -> dict[int, StudentCircle]:
    """Each student's dataset and the classmates on it in a run (students not in the run are left out).

    Two queries for any number of students: the classmates' names and the course's dataset titles.
    """
    result = run.result or {}
    assignments, circles, related = (result.get(key) or {} for key in ("assignments", "circles", "related"))
    explanations = result.get("explanations") or {}
    placed = {s: assignments[str(s)] for s in student_ids if assignments.get(str(s))}
    wanted_people = {int(other) for dataset_id in placed.values() for other in circles.get(dataset_id, [])}
    members = run.course.memberships.filter(user_id__in=wanted_people).select_related("user")
    names = {str(m.user_id): m.user.display_name for m in members}
    titles = _titles(run.course)
    found = {}
    for student_id, dataset_id in placed.items():
        other_dataset = related.get(str(student_id))
        found[student_id] = StudentCircle(
            dataset_id=int(dataset_id),
            dataset_title=titles.get(dataset_id, REMOVED),
            classmates=[names[s] for s in circles.get(dataset_id, []) if s != str(student_id) and s in names],
            related_title=titles.get(other_dataset) if other_dataset else None,
            reason=readable(explanations.get(str(student_id)), titles),
        )
    return found


def unplaced_reason(*, run: MatchRun, student_id: int) -> str:
    """Why a student of the run has no dataset (the engine's sentence), or ""."""
    explanation = ((run.result or {}).get("explanations") or {}).get(str(student_id))
    return readable(explanation, _titles(run.course)) if explanation else ""


@dataclass
class CircleEmail:
    to: str
    name: str
    subject: str
    body: str
    circle: StudentCircle


def circle_emails(*, run: MatchRun) -> list[CircleEmail]:
    """The emails a run's publishing sends: every placed student the first time; after that only
    those whose dataset changed since the published matching the run started from (late joiners, moves)."""
    course = run.course
    result = run.result or {}
    previous = (result.get("previous_assignments") or {}) if result.get("previous_run") is not None else None
    students = list(course.memberships.students().select_related("user"))
    circles = circles_of(run=run, student_ids=[m.user_id for m in students])
    emails = []
    for membership in students:
        circle = circles.get(membership.user_id)
        if circle is None or (previous is not None and previous.get(str(membership.user_id)) == str(circle.dataset_id)):
            continue
        if circle.classmates:
            who = "You share it with " + ", ".join(circle.classmates) + "."
        else:
            who = "Nobody else has it yet; your instructor will help you find someone to confer with."
        why = f"\nWhy this dataset: {circle.reason}\n" if circle.reason else ""
        body = (
            f"{greeting(membership.user.name)}\n\n"
            f"The matching for {course.title} is published. Your dataset: {circle.dataset_title}.\n{who}\n{why}\n"
            f"See your circle and the dataset's profile: {settings.SITE_URL}/c/{course.pk}/circle/\n"
        )
        # A subject is one header line: a line break in a title would make the mail library refuse it.
        subject = " ".join(f"[{course.title}] Your dataset: {circle.dataset_title}".split())
        emails.append(CircleEmail(membership.user.email, membership.user.display_name, subject, body, circle))
    return emails
