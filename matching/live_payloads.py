"""What the live streams send, built once per change of a course (matching/live.py calls `build`).

- The projector: the board fragment (matching/_board.html), exactly what a poll
  of display_board returns, as an event `board`.
- The phones: what changes on a student's page when OTHERS pick is each
  dataset's who-line (the count and the names, the same for every student)
  and the page's state (picks closed, locked, the countdown, the catalog).
  An event `who` carries {"version", "state", "who": {dataset id: [count,
  html]}}: the page replaces each who-line it has, and refetches itself once
  when the state differs from its own or one of its own picks stops or starts
  being lonely (its suggestion comes or goes).
"""
import hashlib
import json
from functools import lru_cache

from django.template.loader import render_to_string

from courseproj.courses.models import Course
from datasets.models import Dataset
from matching.live import BOARD, WHO, WHO_STAFF, Payload, event
from matching.models import Activity
from matching.runs import run_view
from matching.selectors import (
    DatasetInterest,
    activity_for,
    board_grid,
    board_state,
    course_etag,
    interest_board,
)


def board_context(course: Course) -> dict:
    """The projector's board: the interest tiles, or the circles of a revealed matching."""
    activity = activity_for(course=course)
    revealed = activity.revealed_run
    board = None if revealed else board_state(course=course, show_names=not course.anonymous)
    view = run_view(run=revealed, show_names=not course.anonymous) if revealed else None
    return {
        "course": course,
        "activity": activity,
        "etag": course_etag(course=course),
        "board": board,
        "view": view,
        "grid": board_grid(tiles=len(board.tiles if board else view.circles)),
    }


def phone_state(*, course: Course, activity: Activity, catalog: list[tuple[int, str]]) -> str:
    """A short hash of what a student's page shows besides the who-lines: when it moves, the page refetches."""
    key = (
        course.interests_locked, course.ranking_size, activity.is_open,
        activity.ends_at.isoformat() if activity.ends_at else "", activity.picks_closed, sorted(catalog),
    )
    return hashlib.sha256(repr(key).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def replaced_event() -> bytes:
    """A projector on a replaced link: the page shows this and closes its stream."""
    return event("replaced", render_to_string("matching/_display_replaced.html"))


def build(course_id: int, kinds: set[str], previous: dict[str, Payload | None]) -> dict[str, Payload]:
    """One payload per kind for the course as it is now (the course's row is read here, after its version)."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return {kind: Payload(0, b"", gone=True) for kind in kinds}
    built = {}
    if BOARD in kinds:
        built[BOARD] = _board_payload(course)
    who = kinds & {WHO, WHO_STAFF}
    if who:
        built.update(_who_payloads(course, who, previous))
    return built


def _board_payload(course: Course) -> Payload:
    context = board_context(course)
    return Payload(
        version=course.live_version,
        full=event("board", render_to_string("matching/_board.html", context)),
        token=course.display_token,
        expires=_countdown_end(context["activity"]),
    )


def _countdown_end(activity: Activity) -> float | None:
    """When a running countdown ends, what the pages show changes without a new version: rebuild then."""
    if activity.is_open and activity.ends_at and not activity.picks_closed:
        return activity.ends_at.timestamp()
    return None


def _who_payloads(course: Course, kinds: set[str], previous: dict[str, Payload | None]) -> dict[str, Payload]:
    activity = activity_for(course=course)
    catalog = list(Dataset.objects.for_course(course).in_catalog().values_list("pk", "title"))
    state = phone_state(course=course, activity=activity, catalog=catalog)
    # One read for every audience: staff see names in anonymous mode, students only counts.
    interested = interest_board(course=course, show_names=True)
    built = {}
    for kind in kinds:
        show_names = kind == WHO_STAFF or not course.anonymous
        before = previous.get(kind)
        ids = {pk for pk, _ in catalog} | set(interested) | set(before.lines if before else ())
        lines = {}
        for dataset_id in sorted(ids):
            info = interested.get(dataset_id) or DatasetInterest()
            shown = info if show_names else DatasetInterest(count=info.count)
            lines[dataset_id] = (info.count, render_to_string("matching/_who_text.html", {"info": shown}).strip())
        built[kind] = _who_payload(course.live_version, state, lines, before)
        built[kind].expires = _countdown_end(activity)
    return built


def _who_payload(version: int, state: str, lines: dict, before: Payload | None) -> Payload:
    def encode(changed: dict) -> bytes:
        who = {str(d): [count, html] for d, (count, html) in changed.items()}
        return event("who", json.dumps({"version": version, "state": state, "who": who}, separators=(",", ":")))

    payload = Payload(version=version, full=encode(lines), lines=lines, state=state)
    if before is not None and not before.gone:
        changed = {d: line for d, line in lines.items() if before.lines.get(d) != line}
        payload.diff = encode(changed) if changed or state != before.state else b""
        payload.base = before.serial
    return payload
