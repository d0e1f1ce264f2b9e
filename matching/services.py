"""State changes of interests, matching runs and the in-class activity: one function each.

Every change the projector or the phones show bumps the course's live
version (`live_touch`) inside the change's own transaction.
"""
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection, send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from courseproj.courses.models import Course, Membership
from courseproj.courses.services import course_update, live_touch
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
            live_touch(course_id=course.pk)
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


# --- the in-class activity -----------------------------------------------------


def _activity_update(*, course: Course, **changes) -> Activity:
    with transaction.atomic():
        activity, _ = Activity.objects.get_or_create(course=course)
        for name, value in changes.items():
            setattr(activity, name, value)
        activity.save(update_fields=[*changes, "updated_at"])
        live_touch(course_id=course.pk)
    return activity


def activity_open(*, course: Course, minutes: int) -> Activity:
    """Start the in-class activity with a countdown (0: no countdown)."""
    ends_at = timezone.now() + timedelta(minutes=minutes) if minutes else None
    return _activity_update(course=course, is_open=True, ends_at=ends_at)


def activity_close(*, course: Course) -> Activity:
    return _activity_update(course=course, is_open=False, ends_at=None)


def activity_reveal(*, course: Course, run: MatchRun | None) -> Activity:
    """Show a run's circles on the projector (None: back to the interest board)."""
    return _activity_update(course=course, revealed_run=run)


def course_set_anonymous(*, course: Course, anonymous: bool) -> Course:
    return course_update(course=course, anonymous=anonymous)


def course_set_interests_locked(*, course: Course, locked: bool) -> Course:
    return course_update(course=course, interests_locked=locked)


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
        live_touch(course_id=course.pk)
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
        live_touch(course_id=run.course_id)
        transaction.on_commit(lambda: match_run_notify_send(run_id=run.pk))
    return run


def _missing_datasets(run: MatchRun) -> set[str]:
    used = {d for d in run.result.get("assignments", {}).values() if d}
    present = {str(pk) for pk in Dataset.objects.for_course(run.course).in_catalog().filter(pk__in=used).values_list("pk", flat=True)}
    return used - present


def match_run_notify_send(*, run_id: int) -> bool:
    """Queue the circle emails for a worker; when the broker is down the sweeper queues them later.

    Emails are never sent from a web request: a slow mail server must not
    hold the instructor's page, and a worker retries a failed send.
    """
    from matching.tasks import match_run_notify_task

    try:
        match_run_notify_task.apply_async(args=[run_id], retry=True)
    except Exception:  # unreachable broker: the run stays unnotified and the sweeper sends it
        log.warning("circle emails for run %s not queued; the sweeper will queue them", run_id, exc_info=True)
        return False
    return True


# A published run whose emails were not claimed this long after publishing was
# probably never queued (the broker was down): the sweeper queues it again.
NOTIFY_RETRY_AFTER = timedelta(minutes=2)


def match_runs_notify_sweep() -> int:
    """Queue the circle emails of published runs that never went out. Run by beat; returns runs queued."""
    due = MatchRun.objects.published().filter(
        notified_at__isnull=True, published_at__lt=timezone.now() - NOTIFY_RETRY_AFTER
    )
    return sum(match_run_notify_send(run_id=run_id) for run_id in due.values_list("pk", flat=True))


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
