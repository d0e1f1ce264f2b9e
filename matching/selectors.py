"""Reads of interests for pages: who is interested in what."""
from collections import defaultdict
from dataclasses import dataclass, field

from courseproj.models import Course, Membership
from matching.models import Interest


@dataclass
class DatasetInterest:
    count: int = 0
    names: list[str] = field(default_factory=list)


def interest_board(*, course: Course, viewer: Membership) -> dict[int, DatasetInterest]:
    """Per dataset: how many students ranked it and, unless anonymous, who.

    Staff always see names; students see them unless the course is anonymous.
    One query, whatever the class size.
    """
    show_names = viewer.is_staff_role or not course.anonymous
    board: dict[int, DatasetInterest] = defaultdict(DatasetInterest)
    rows = Interest.objects.for_course(course).select_related("student").order_by("student__name", "student__email")
    for interest in rows:
        entry = board[interest.dataset_id]
        entry.count += 1
        if show_names:
            entry.names.append(interest.student.display_name)
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
    from matching.models import MatchRun

    run = MatchRun.objects.for_course(course).published().first()
    if run is None:
        return {}
    return {int(s): (int(d) if d else None) for s, d in (run.result.get("assignments") or {}).items()}
