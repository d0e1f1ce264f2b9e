"""State changes of interests, matching runs and the in-class activity: one function each."""
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection, send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from courseproj.models import Course, Membership
from datasets.models import Dataset
from matching.models import Activity, Interest, MatchRun, RunStatus

log = logging.getLogger(__name__)

MATCH_TIME_LIMIT = 10.0

# Takes the current list of dataset ids, returns the new one, or None for "no change".
RankingChange = Callable[[list[int]], list[int] | None]


def _validate(membership: Membership, dataset_ids: list[int]) -> None:
    course = membership.course
    if course.interests_locked:
        raise ValidationError("Your instructor has locked the rankings.")
    if len(dataset_ids) != len(set(dataset_ids)):
        raise ValidationError("A dataset can be on your list only once.")
    if len(dataset_ids) > course.ranking_size:
        raise ValidationError(f"You can rank at most {course.ranking_size} datasets. Remove one first.")
    allowed = Dataset.objects.visible_to(membership).in_catalog().filter(pk__in=dataset_ids)
    if len(set(allowed.values_list("pk", flat=True))) != len(dataset_ids):
        raise ValidationError("That dataset is not in this course's catalog.")


def _change_ranking(*, membership: Membership, change: RankingChange) -> bool:
    """Read, change and write the student's list as one step.

    The membership row is locked before the list is read (PostgreSQL); SQLite
    takes its write lock at BEGIN. So two tabs changing the list at once take
    turns, and the second sees the first's result: a repeated "add" is a no-op.
    The unique constraints stop anything that slips past.
    """
    course = membership.course
    try:
        with transaction.atomic():
            Membership.objects.select_for_update().filter(pk=membership.pk).first()
            current = list(
                Interest.objects.filter(course=course, student=membership.user)
                .order_by("rank")
                .values_list("dataset_id", flat=True)
            )
            new = change(current)
            if new is None or new == current:
                return False
            _validate(membership, new)
            Interest.objects.filter(course=course, student=membership.user).delete()
            Interest.objects.bulk_create(
                Interest(course=course, student=membership.user, dataset_id=dataset_id, rank=rank)
                for rank, dataset_id in enumerate(new, start=1)
            )
            board_touch(course_id=course.pk)
    except IntegrityError:
        return False  # a concurrent request wrote the same change first
    return True


def interest_set_ranking(*, membership: Membership, dataset_ids: list[int]) -> bool:
    """Replace the student's ranked list."""
    return _change_ranking(membership=membership, change=lambda current: list(dataset_ids))


def interest_add(*, membership: Membership, dataset_id: int) -> bool:
    """Add a dataset at the end of the list; False when it was already there (double submit)."""
    return _change_ranking(
        membership=membership, change=lambda current: None if dataset_id in current else current + [dataset_id]
    )


def interest_remove(*, membership: Membership, dataset_id: int) -> bool:
    return _change_ranking(
        membership=membership,
        change=lambda current: [d for d in current if d != dataset_id] if dataset_id in current else None,
    )


def interest_move(*, membership: Membership, dataset_id: int, offset: int) -> bool:
    """Move a dataset up (offset -1) or down (+1) the list."""

    def move(current: list[int]) -> list[int] | None:
        if dataset_id not in current:
            return None
        old = current.index(dataset_id)
        new = max(0, min(len(current) - 1, old + offset))
        reordered = list(current)
        reordered.insert(new, reordered.pop(old))
        return reordered

    return _change_ranking(membership=membership, change=move)


# --- the live board --------------------------------------------------------------


def board_touch(*, course_id: int) -> None:
    """Say that something on the course's board changed: pollers refetch it.

    Runs inside the caller's transaction, so pollers see the new version only
    with the change itself. A course whose board was never read has no row
    yet: nothing polls it, and the first read creates it.
    """
    Activity.objects.filter(course_id=course_id).update(version=F("version") + 1)


def activity_open(*, course: Course, minutes: int) -> Activity:
    """Start the in-class activity with a countdown (0: no countdown)."""
    activity, _ = Activity.objects.get_or_create(course=course)
    activity.is_open = True
    activity.ends_at = timezone.now() + timedelta(minutes=minutes) if minutes else None
    activity.version = F("version") + 1
    activity.save(update_fields=["is_open", "ends_at", "version", "updated_at"])
    activity.refresh_from_db()
    return activity


def activity_close(*, course: Course) -> Activity:
    activity, _ = Activity.objects.get_or_create(course=course)
    activity.is_open = False
    activity.ends_at = None
    activity.version = F("version") + 1
    activity.save(update_fields=["is_open", "ends_at", "version", "updated_at"])
    activity.refresh_from_db()
    return activity


def activity_reveal(*, course: Course, run: MatchRun | None) -> Activity:
    """Show a run's circles on the projector (None: back to the interest board)."""
    activity, _ = Activity.objects.get_or_create(course=course)
    activity.revealed_run = run
    activity.version = F("version") + 1
    activity.save(update_fields=["revealed_run", "version", "updated_at"])
    activity.refresh_from_db()
    return activity


def course_set_anonymous(*, course: Course, anonymous: bool) -> Course:
    course.anonymous = anonymous
    course.save(update_fields=["anonymous"])  # the board follows through the post_save signal
    return course


def course_set_interests_locked(*, course: Course, locked: bool) -> Course:
    course.interests_locked = locked
    course.save(update_fields=["interests_locked"])
    return course


# --- matching runs -----------------------------------------------------------------


def _rankings(course: Course, catalog: set[str]) -> tuple[dict[str, list[str]], list[int]]:
    """The engine's input (ids as strings, catalog datasets only) and the students who ranked nothing."""
    student_ids = list(course.memberships.students().values_list("user_id", flat=True))
    rankings: dict[str, list[str]] = {str(s): [] for s in student_ids}
    rows = Interest.objects.for_course(course).filter(student_id__in=student_ids).order_by("student_id", "rank")
    for student_id, dataset_id in rows.values_list("student_id", "dataset_id"):
        if str(dataset_id) in catalog:
            rankings[str(student_id)].append(str(dataset_id))
    not_ranked = sorted(int(s) for s, picks in rankings.items() if not picks)
    return rankings, not_ranked


def match_run_start(*, course: Course, locks: dict[str, str] | None = None) -> MatchRun:
    """Run the matcher on the current rankings and keep the result as the course's draft.

    Locks default to those of the current draft, so moves and locked circles
    survive every re-run. Students who never ranked anything are not matched
    but listed in the result ("not_ranked") for the instructor.
    """
    from matching import engine  # SciPy's solver: loaded when a run starts, not with every process
    from matching.selectors import course_similarity

    previous = MatchRun.objects.for_course(course).filter(status=RunStatus.DRAFT).first()
    if locks is None:
        locks = dict(previous.locks) if previous else {}
    catalog = {str(pk) for pk in Dataset.objects.for_course(course).in_catalog().values_list("pk", flat=True)}
    rankings, not_ranked = _rankings(course, catalog)
    # Locks whose student is still a student and whose dataset is still in the catalog.
    locks = {s: d for s, d in locks.items() if s in rankings and d in catalog}
    matched = {s: picks for s, picks in rankings.items() if picks or s in locks}
    similarity = course_similarity(course=course)
    result = engine.match(
        matched,
        min_size=course.min_circle_size,
        max_size=course.max_circle_size,
        locks=locks,
        similarity=similarity.score if similarity else None,
        # The instructor waits for this in a web request: class-size instances are
        # proven optimal in well under a second; a pathological one stops here
        # with its gap reported on the page.
        time_limit=MATCH_TIME_LIMIT,
    )
    first_choice = engine.first_choice_result(matched, min_size=course.min_circle_size)
    payload = {
        **result.to_dict(),
        "first_choice": first_choice.to_dict()["quality"],
        "not_ranked": [s for s in not_ranked if str(s) not in locks],
    }
    with transaction.atomic():
        MatchRun.objects.for_course(course).filter(status=RunStatus.DRAFT).update(status=RunStatus.SUPERSEDED)
        run = MatchRun.objects.create(
            course=course,
            min_size=course.min_circle_size,
            max_size=course.max_circle_size,
            locks=locks,
            result=payload,
        )
        board_touch(course_id=course.pk)
    return run


def match_run_move(*, run: MatchRun, student_id: int, dataset_id: int) -> MatchRun:
    """Move a student to a dataset: the move is a lock, and the matcher re-runs around it."""
    _require_draft(run)
    if str(student_id) not in run.result.get("assignments", {}) and student_id not in run.result.get("not_ranked", []):
        raise ValidationError("That student is not part of this matching.")
    if not Dataset.objects.for_course(run.course).in_catalog().filter(pk=dataset_id).exists():
        raise ValidationError("That dataset is not in the course's catalog.")
    return match_run_start(course=run.course, locks={**run.locks, str(student_id): str(dataset_id)})


def match_run_lock_circle(*, run: MatchRun, dataset_id: int, locked: bool) -> MatchRun:
    """Lock (or unlock) every student of a circle to its dataset; re-runs keep the locks."""
    _require_draft(run)
    members = run.result.get("circles", {}).get(str(dataset_id), [])
    if not members:
        raise ValidationError("That circle has nobody in it.")
    locks = dict(run.locks)
    for student in members:
        if locked:
            locks[student] = str(dataset_id)
        elif locks.get(student) == str(dataset_id):
            del locks[student]
    run.locks = locks
    run.save(update_fields=["locks"])
    return run


def match_run_unlock_student(*, run: MatchRun, student_id: int) -> MatchRun:
    _require_draft(run)
    run.locks = {s: d for s, d in run.locks.items() if s != str(student_id)}
    run.save(update_fields=["locks"])
    return run


def _require_draft(run: MatchRun) -> None:
    if run.status != RunStatus.DRAFT:
        raise ValidationError("This matching is no longer the draft; run the matcher again to change it.")


def match_run_publish(*, run: MatchRun) -> MatchRun:
    """Make the draft the course's matching; students see their circle and get an email."""
    _require_draft(run)
    gone = _missing_datasets(run)
    if gone:
        raise ValidationError("A dataset of this matching was removed from the catalog; run the matcher again.")
    with transaction.atomic():
        MatchRun.objects.for_course(run.course).published().update(status=RunStatus.SUPERSEDED)
        run.status = RunStatus.PUBLISHED
        run.published_at = timezone.now()
        run.save(update_fields=["status", "published_at"])
        board_touch(course_id=run.course_id)
        transaction.on_commit(lambda: match_run_notify_send(run_id=run.pk))
    return run


def _missing_datasets(run: MatchRun) -> set[str]:
    used = {d for d in run.result.get("assignments", {}).values() if d}
    present = {str(pk) for pk in Dataset.objects.for_course(run.course).in_catalog().filter(pk__in=used).values_list("pk", flat=True)}
    return used - present


def match_run_notify_send(*, run_id: int) -> None:
    """Queue the circle emails; when the broker is down, send them from here instead."""
    from matching.tasks import match_run_notify_task

    try:
        match_run_notify_task.apply_async(args=[run_id], retry=True)
    except Exception:  # the broker is unreachable: the emails must still go out
        log.warning("circle emails for run %s not queued; sending inline", run_id, exc_info=True)
        match_run_notify(run_id=run_id)


def match_run_notify(*, run_id: int) -> int:
    """Email each student of a published run their dataset and circle, once. Returns emails sent."""
    # Claim the sending: a message redelivered after a worker crash finds it taken.
    claimed = MatchRun.objects.filter(pk=run_id, status=RunStatus.PUBLISHED, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return 0
    try:
        return _circle_emails_send(run=MatchRun.objects.select_related("course").get(pk=run_id))
    except Exception:
        # Nothing (or not everything) went out: let a retry send them.
        MatchRun.objects.filter(pk=run_id).update(notified_at=None)
        raise


def _circle_emails_send(*, run: MatchRun) -> int:
    from matching.selectors import circles_of

    course = run.course
    students = list(course.memberships.students().select_related("user"))
    circles = circles_of(run=run, student_ids=[m.user_id for m in students])
    messages = []
    for membership in students:
        circle = circles.get(membership.user_id)
        if circle is None:
            continue
        if circle.classmates:
            who = "You share it with " + ", ".join(circle.classmates) + "."
        else:
            who = "Nobody else has it yet; your instructor will help you find someone to confer with."
        body = (
            f"Hello {membership.user.display_name},\n\n"
            f"The matching for {course.title} is published. Your dataset: {circle.dataset_title}.\n{who}\n\n"
            f"See your circle and the dataset's profile: {settings.SITE_URL}/c/{course.pk}/circle/\n"
        )
        messages.append((f"[{course.title}] Your dataset: {circle.dataset_title}", body, None, [membership.user.email]))
    if messages:
        send_mass_mail(messages, fail_silently=False, connection=get_connection())
    return len(messages)
