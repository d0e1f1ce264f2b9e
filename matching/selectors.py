"""Reads for pages: who is interested in what, the live board, circles."""
import math
from collections import defaultdict
from dataclasses import dataclass, field

from courseproj.courses.models import Course, display_name_of, live_etag
from datasets.models import Dataset
from matching.models import Activity, Interest, MatchRun


@dataclass
class DatasetInterest:
    count: int = 0
    names: list[str] = field(default_factory=list)
    students: set[int] = field(default_factory=set)


def interest_board(*, course: Course, show_names: bool) -> dict[int, DatasetInterest]:
    """Per dataset: how many students ranked it, their ids and, with `show_names`, their names.

    Staff always see names; students see them unless the course is anonymous
    (`Membership.sees_names`). One query of plain tuples, whatever the class size (it runs after every pick).
    """
    board: dict[int, DatasetInterest] = defaultdict(DatasetInterest)
    rows = (
        Interest.objects.for_course(course)
        .order_by("student__name", "student__email")
        .values_list("dataset_id", "student_id", "student__name")
    )
    for dataset_id, student_id, name in rows:
        entry = board[dataset_id]
        entry.count += 1
        entry.students.add(student_id)
        if show_names:
            entry.names.append(display_name_of(name=name))
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


def display_link_was_replaced(*, display_token: str) -> bool:
    """Whether a projector link that no longer works was one a course replaced (not a wrong one)."""
    if not display_token or len(display_token) > 64 or " " in display_token:
        return False
    return Activity.objects.filter(replaced_display_tokens__contains=f" {display_token} ").exists()


@dataclass(frozen=True)
class Grid:
    """How the projector lays out its tiles: columns × rows filling 1920×1080, and the type size."""

    columns: int
    rows: int

    @property
    def density(self) -> str:
        """roomy (a few big tiles), medium, dense (up to about 40): the stylesheet sizes type by it."""
        tiles = self.columns * self.rows
        return "roomy" if tiles <= 6 else "medium" if tiles <= 16 else "dense"


# The board's area on a 1920×1080 projector is about 2.2 times as wide as tall;
# tiles read best about 1.6 times as wide as tall.
_BOARD_ASPECT, _TILE_ASPECT, _MAX_LINES = 2.2, 1.6, 10


def board_grid(*, tiles: int) -> Grid:
    """Columns and rows for `tiles` tiles: as square-ish as the screen allows, no row left mostly empty.

    The last row's tiles stretch to fill it (5 tiles: 3 + 2 wider ones), so
    the screen is always full.
    """
    tiles = max(1, tiles)
    columns = min(_MAX_LINES, math.ceil(math.sqrt(tiles * _BOARD_ASPECT / _TILE_ASPECT)))
    rows = min(_MAX_LINES, math.ceil(tiles / columns))
    return Grid(columns=min(_MAX_LINES, math.ceil(tiles / rows)), rows=rows)


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
    solo: bool = False  # its one student will work on it even alone: no alarm

    @property
    def lonely(self) -> bool:
        return self.count == 1 and not self.solo


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
        .values_list("dataset_id", "student_id", "student__name", "solo")
    )
    solo = set()
    for dataset_id, student_id, name, is_solo in rows:
        names[dataset_id].append(display_name_of(name=name))
        interested[dataset_id].add(student_id)
        if is_solo:
            solo.add(dataset_id)
    counts = {d: len(names[d]) for d in titles}
    lonely = {d: next(iter(interested[d])) for d, n in counts.items() if n == 1 and d not in solo}
    suggestions = suggestions_for_lonely(course=course, interested=interested, titles=titles, lonely=lonely)
    tiles = [
        Tile(d, titles[d], counts[d], names[d] if show_names else [], suggestions.get(d), solo=d in solo)
        for d in sorted(titles, key=lambda d: (-counts[d], titles[d].lower()))
    ]
    return Board(
        tiles=tiles,
        students=course.memberships.students().count(),
        ranked=len(set().union(*interested.values())),
        anonymous=not show_names,
    )
