"""Reads for pages: who is interested in what, the live board, circles."""
from collections import defaultdict
from dataclasses import dataclass, field

from courseproj.courses.models import Course, Membership, display_name_of, live_etag
from datasets.models import Dataset
from matching.models import Activity, Interest, MatchRun, RunStatus


@dataclass
class DatasetInterest:
    count: int = 0
    names: list[str] = field(default_factory=list)
    students: set[int] = field(default_factory=set)


def interest_board(*, course: Course, viewer: Membership) -> dict[int, DatasetInterest]:
    """Per dataset: how many students ranked it, their ids and, unless anonymous, names.

    Staff always see names; students see them unless the course is anonymous.
    One query of plain tuples, whatever the class size (it runs after every pick).
    """
    show_names = viewer.is_staff_role or not course.anonymous
    board: dict[int, DatasetInterest] = defaultdict(DatasetInterest)
    rows = (
        Interest.objects.for_course(course)
        .order_by("student__name", "student__email")
        .values_list("dataset_id", "student_id", "student__name", "student__email")
    )
    for dataset_id, student_id, name, email in rows:
        entry = board[dataset_id]
        entry.count += 1
        entry.students.add(student_id)
        if show_names:
            entry.names.append(display_name_of(name=name, email=email))
    return board


def rankings_by_student(*, course: Course) -> dict[int, list[Interest]]:
    rankings: dict[int, list[Interest]] = defaultdict(list)
    for interest in Interest.objects.for_course(course).select_related("dataset").order_by("student_id", "rank"):
        rankings[interest.student_id].append(interest)
    return rankings


def published_assignments(*, course: Course) -> dict[int, int | None]:
    """Student id -> dataset id of the course's published matching ({} before one is published).

    The run's result stores the engine's output with ids as strings.
    """
    run = MatchRun.objects.for_course(course).published().first()
    if run is None:
        return {}
    return {int(s): (int(d) if d else None) for s, d in (run.result.get("assignments") or {}).items()}


def activity_for(*, course: Course) -> Activity:
    """The course's activity; a course that never ran one gets an unsaved, closed one (a read never writes)."""
    return Activity.objects.select_related("revealed_run").filter(course=course).first() or Activity(course=course)


def course_etag(*, course: Course) -> str:
    """The ETag of what the course shows live, from the course row already loaded."""
    return live_etag(course_id=course.pk, version=course.live_version)


def board_etag(*, display_token: str) -> str | None:
    """The projector's poll: one indexed read of the live version, or None for a revoked link."""
    row = Course.objects.filter(display_token=display_token).values_list("pk", "live_version").first()
    return live_etag(course_id=row[0], version=row[1]) if row else None


# Fitted similarities by catalog content: the catalog rarely changes while the
# board is rebuilt after every pick, and a fit costs milliseconds.
_SIMILARITY_CACHE: dict[tuple, "DatasetSimilarity"] = {}
_SIMILARITY_CACHE_SIZE = 64


def course_similarity(*, course: Course) -> "DatasetSimilarity | None":
    """Dataset–dataset similarity over the course's catalog (text, tags and profile figures)."""
    # Imported here: scikit-learn's text module costs every manage.py command start-up time.
    from matching.similarity import DatasetSimilarity

    datasets = Dataset.objects.for_course(course).in_catalog().select_related("profile_job").order_by("pk")
    features = tuple(_features(d) for d in datasets)
    if len(features) < 2:
        return None
    fitted = _SIMILARITY_CACHE.get(features)
    if fitted is None:
        if len(_SIMILARITY_CACHE) >= _SIMILARITY_CACHE_SIZE:
            _SIMILARITY_CACHE.pop(next(iter(_SIMILARITY_CACHE)))
        fitted = _SIMILARITY_CACHE[features] = DatasetSimilarity.fit(list(features))
    return fitted


def _features(dataset: Dataset) -> "DatasetFeatures":
    from matching.similarity import DatasetFeatures

    profile = (dataset.profile_job.result if dataset.profile_job else None) or {}
    types = profile.get("column_types") or {}
    return DatasetFeatures(
        key=str(dataset.pk),
        title=dataset.title,
        description=dataset.description,
        tags=tuple(dataset.tag_list),
        rows=dataset.rows,
        columns=len(types) or len(dataset.column_names) or None,
        classes=len(profile.get("classes") or {}) or None,
        numeric_share=(sum(1 for t in types.values() if t == "numeric") / len(types)) if types else None,
    )


@dataclass
class Suggestion:
    dataset_id: int
    title: str
    count: int


@dataclass
class Tile:
    dataset_id: int
    title: str
    count: int
    names: list[str]
    suggestion: Suggestion | None = None

    @property
    def lonely(self) -> bool:
        return self.count == 1

    @property
    def size(self) -> int:
        """1–3: how much room the tile takes on the board."""
        return 1 if self.count < 3 else 2 if self.count < 6 else 3


def suggestions_for_lonely(
    *, course: Course, interested: dict[int, set[int]], titles: dict[int, str], lonely: dict[int, int]
) -> dict[int, Suggestion]:
    """For each lonely dataset (dataset -> its one student), the most similar dataset
    that someone else is interested in: where that student would find company."""
    if not lonely:
        return {}
    similarity = course_similarity(course=course)
    if similarity is None:
        return {}
    found = {}
    for dataset_id, student_id in lonely.items():
        among = [str(d) for d, people in interested.items() if d != dataset_id and people - {student_id}]
        best = similarity.most_similar(str(dataset_id), k=1, among=among) if among else []
        if best:
            other = int(best[0][0])
            found[dataset_id] = Suggestion(other, titles[other], len(interested[other]))
    return found


@dataclass
class Board:
    tiles: list[Tile]
    students: int
    ranked: int
    anonymous: bool

    @property
    def lonely_count(self) -> int:
        return sum(1 for t in self.tiles if t.lonely)


def board_state(*, course: Course, show_names: bool) -> Board:
    """The datasets of the catalog with who is interested, lonely ones with a suggestion.

    A handful of queries whatever the class size: the catalog, the interests
    with their students, the membership count.
    """
    titles = dict(Dataset.objects.for_course(course).in_catalog().values_list("pk", "title"))
    names: dict[int, list[str]] = defaultdict(list)
    interested: dict[int, set[int]] = defaultdict(set)
    # Plain tuples, not model instances: a class of 300 has about 900 interests
    # and the board is rebuilt after every pick.
    rows = (
        Interest.objects.for_course(course)
        .filter(dataset_id__in=titles, student__memberships__course=course, student__memberships__role="student")
        .order_by("student__name", "student__email")
        .values_list("dataset_id", "student_id", "student__name", "student__email")
    )
    for dataset_id, student_id, name, email in rows:
        names[dataset_id].append(display_name_of(name=name, email=email))
        interested[dataset_id].add(student_id)
    counts = {d: len(names[d]) for d in titles}
    lonely = {d: next(iter(interested[d])) for d, n in counts.items() if n == 1}
    suggestions = suggestions_for_lonely(course=course, interested=interested, titles=titles, lonely=lonely)
    tiles = [
        Tile(d, titles[d], counts[d], names[d] if show_names else [], suggestions.get(d))
        for d in sorted(titles, key=lambda d: (-counts[d], titles[d].lower()))
    ]
    return Board(
        tiles=tiles,
        students=course.memberships.students().count(),
        ranked=len(set().union(*interested.values())),
        anonymous=not show_names,
    )


@dataclass
class CircleView:
    dataset_id: int | None
    title: str
    members: list[str]
    locked: bool
    alone: bool


@dataclass
class RunView:
    run: MatchRun
    circles: list[CircleView]
    not_ranked: list[str]
    quality: dict
    first_choice: dict
    student_names: dict[str, str]
    dataset_titles: dict[str, str]

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
        names = {i: self.student_names.get(str(i), "(left the course)") for i in ids}
        return sorted(names.items(), key=lambda item: item[1].lower())


def run_view(*, run: MatchRun, show_names: bool = True) -> RunView:
    """A run's circles with names and titles (a dataset removed since shows as such)."""
    course = run.course
    result = run.result or {}
    members = course.memberships.select_related("user")
    student_names = {str(m.user_id): m.user.display_name for m in members}
    dataset_titles = {str(pk): title for pk, title in Dataset.objects.for_course(course).values_list("pk", "title")}
    alone = set(result.get("alone") or [])
    circles = []
    for dataset_id, students in sorted(
        (result.get("circles") or {}).items(), key=lambda item: (-len(item[1]), dataset_titles.get(item[0], ""))
    ):
        circles.append(
            CircleView(
                dataset_id=int(dataset_id),
                title=dataset_titles.get(dataset_id, "(a dataset that was removed)"),
                members=[student_names.get(s, "(left the course)") if show_names else "" for s in students],
                locked=bool(students) and all(run.locks.get(s) == dataset_id for s in students),
                alone=len(students) == 1 and students[0] in alone,
            )
        )
    return RunView(
        run=run,
        circles=circles,
        not_ranked=[student_names.get(str(s), "(left the course)") for s in result.get("not_ranked") or []],
        quality=result.get("quality") or {},
        first_choice=result.get("first_choice") or {},
        student_names=student_names,
        dataset_titles=dataset_titles,
    )


@dataclass
class StudentCircle:
    dataset_id: int
    dataset_title: str
    classmates: list[str]
    related_title: str | None


def circles_of(*, run: MatchRun, student_ids: list[int]) -> dict[int, StudentCircle]:
    """Each student's dataset and the classmates on it in a run (students not in the run are left out).

    Two queries for any number of students: the classmates' names and the datasets' titles.
    """
    result = run.result or {}
    assignments, circles, related = (result.get(key) or {} for key in ("assignments", "circles", "related"))
    placed = {s: assignments[str(s)] for s in student_ids if assignments.get(str(s))}
    wanted_people = {int(other) for dataset_id in placed.values() for other in circles.get(dataset_id, [])}
    members = run.course.memberships.filter(user_id__in=wanted_people).select_related("user")
    names = {str(m.user_id): m.user.display_name for m in members}
    wanted_datasets = {int(d) for d in placed.values()} | {int(related[str(s)]) for s in placed if str(s) in related}
    titles = dict(Dataset.objects.filter(pk__in=wanted_datasets).values_list("pk", "title"))
    found = {}
    for student_id, dataset_id in placed.items():
        other_dataset = related.get(str(student_id))
        found[student_id] = StudentCircle(
            dataset_id=int(dataset_id),
            dataset_title=titles.get(int(dataset_id), "(a dataset that was removed)"),
            classmates=[names[s] for s in circles.get(dataset_id, []) if s != str(student_id) and s in names],
            related_title=titles.get(int(other_dataset)) if other_dataset else None,
        )
    return found
