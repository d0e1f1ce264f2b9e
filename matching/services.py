"""State changes of interests, matching runs and the in-class activity: one function each.

Every change the projector or the phones show bumps the course's live
version (`live_touch`) inside the change's own transaction.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.mail import get_connection, send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from courseproj.courses.models import Course, Membership
from courseproj.courses.services import course_regenerate_display_link, course_update, live_touch
from datasets.models import Dataset
from matching.models import Activity, Interest, MatchRun, RunStatus
from matching.runs import circle_emails, current_run

log = logging.getLogger(__name__)

MATCH_TIME_LIMIT = 10.0
# The reasons' counterfactual solves, also waited for in the request (the engine's default is 5 s).
EXPLAIN_TIME_LIMIT = 3.0

# What a student reads when the countdown ran out (the phone shows it, a late pick is refused with it).
PICKS_CLOSED = "Time's up — your instructor closed the picks."
# How many replaced projector links are remembered (a double-click replaces twice).
REPLACED_LINKS_KEPT = 5

# Takes the current list of dataset ids, returns the new one, or None for "no change".
RankingChange = Callable[[list[int]], list[int] | None]


def _require_picks_open(course: Course) -> None:
    if course.interests_locked:
        raise ValidationError("Your instructor has locked the rankings.")
    if Activity.objects.filter(course=course, is_open=True, ends_at__lte=timezone.now()).exists():
        raise ValidationError(PICKS_CLOSED)


def _validate(membership: Membership, dataset_ids: list[int]) -> None:
    course = membership.course
    _require_picks_open(course)
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
            rows = list(
                Interest.objects.filter(course=course, student=membership.user)
                .order_by("rank")
                .values_list("dataset_id", "solo")
            )
            current = [dataset_id for dataset_id, _ in rows]
            new = change(current)
            if new is None or new == current:
                return False
            _validate(membership, new)
            # "Even alone" belongs to the first choice: it stays while that dataset stays first.
            solo_on = rows[0][0] if rows and rows[0][1] else None
            Interest.objects.filter(course=course, student=membership.user).delete()
            Interest.objects.bulk_create(
                Interest(course=course, student=membership.user, dataset_id=dataset_id, rank=rank,
                         solo=rank == 1 and dataset_id == solo_on)
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


def interest_set_solo(*, membership: Membership, solo: bool) -> bool:
    """Mark the first choice "I'll work on this even alone" (or take it back); False when nothing changed.

    The matcher keeps a solo student on their first choice like a lock; others may still join them.
    """
    course = membership.course
    with transaction.atomic():
        _require_picks_open(course)
        first = Interest.objects.filter(course=course, student=membership.user, rank=1)
        if not first.exists():
            raise ValidationError("Rank a dataset first.")
        changed = first.exclude(solo=solo).update(solo=solo)
        if changed:
            live_touch(course_id=course.pk)
    return bool(changed)


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


def activity_reopen_picks(*, course: Course) -> Activity:
    """After "Time's up": picks open again, the activity goes on without a countdown."""
    return _activity_update(course=course, ends_at=None)


def activity_replace_display_link(*, course: Course) -> Course:
    """A new projector link; the old one stops working at once, and a projector still on it is told so."""
    with transaction.atomic():
        old = course.display_token
        activity, _ = Activity.objects.select_for_update().get_or_create(course=course)
        kept = (activity.replaced_display_tokens.split() + [old])[-REPLACED_LINKS_KEPT:]
        activity.replaced_display_tokens = f" {' '.join(kept)} "
        activity.save(update_fields=["replaced_display_tokens", "updated_at"])
        return course_regenerate_display_link(course=course)


def activity_reveal(*, course: Course, run: MatchRun | None) -> Activity:
    """Show a run's circles on the projector (None: back to the interest board)."""
    return _activity_update(course=course, revealed_run=run)


def match_run_show(*, run: MatchRun, shown: bool) -> Activity:
    """Show a run's circles on the projector, or (shown=False) go back to the interest board."""
    return activity_reveal(course=run.course, run=run if shown else None)


def course_set_anonymous(*, course: Course, anonymous: bool) -> Course:
    return course_update(course=course, anonymous=anonymous)


def course_set_interests_locked(*, course: Course, locked: bool) -> Course:
    return course_update(course=course, interests_locked=locked)


# --- matching runs -----------------------------------------------------------------


@dataclass
class MatchInput:
    """What the engine is given for a course (ids as strings, catalog datasets only)."""

    rankings: dict[str, list[str]]  # students with at least one catalog dataset on their list
    unranked: list[str]  # students who ranked nothing
    solo: list[str]  # students whose first choice is "even alone"
    catalog: set[str]


def _rankings(course: Course) -> MatchInput:
    """Every student's list, the students who ranked nothing, and those going solo by choice."""
    catalog = {str(pk) for pk in Dataset.objects.for_course(course).in_catalog().values_list("pk", flat=True)}
    student_ids = list(course.memberships.students().values_list("user_id", flat=True))
    rankings: dict[str, list[str]] = {str(s): [] for s in student_ids}
    solo = []
    rows = Interest.objects.for_course(course).filter(student_id__in=student_ids).order_by("student_id", "rank")
    for student_id, dataset_id, rank, is_solo in rows.values_list("student_id", "dataset_id", "rank", "solo"):
        if str(dataset_id) in catalog:
            rankings[str(student_id)].append(str(dataset_id))
            if rank == 1 and is_solo:
                solo.append(str(student_id))
    unranked = sorted((s for s, picks in rankings.items() if not picks), key=int)
    return MatchInput({s: p for s, p in rankings.items() if p}, unranked, solo, catalog)


def _match(course: Course, *, locks: dict[str, str], max_moves: int) -> tuple[dict, dict[str, str]]:
    """Run the engine on the course as it is now: the run's payload and the locks it kept.

    1. Locks whose student is still a student and whose dataset is still in the catalog.
    2. After publishing, the published circles are kept (`previous`): students not in it
       (late joiners) are placed, at most `max_moves` of the others move; locks win.
    3. Students who never ranked are placed or listed, by the course's policy.
    """
    from matching import engine  # SciPy's solver: loaded when a run starts, not with every process
    from matching.selectors import course_similarity

    given = _rankings(course)
    students = set(given.rankings) | set(given.unranked)
    locks = {s: d for s, d in locks.items() if s in students and d in given.catalog}
    published = MatchRun.objects.for_course(course).published().first()
    published_assignments = (published.result.get("assignments") or {}) if published else {}
    previous = {s: d for s, d in published_assignments.items() if d and s in students and d in given.catalog}
    similarity = course_similarity(course=course)
    result = engine.match(
        given.rankings,
        min_size=course.min_circle_size,
        max_size=course.max_circle_size,
        locks=locks,
        similarity=similarity.score if similarity else None,
        # The instructor waits for this in a web request: class-size instances are
        # proven optimal in well under a second; a pathological one stops here
        # with its gap reported on the page.
        time_limit=MATCH_TIME_LIMIT,
        explain_time_limit=EXPLAIN_TIME_LIMIT,
        unranked=given.unranked,
        place_unranked=course.place_unranked,
        previous=previous or None,
        max_moves=max_moves if previous else 0,
        solo=given.solo,
    )
    first_choice = engine.first_choice_result(given.rankings, min_size=course.min_circle_size)
    payload = {
        **result.to_dict(),
        "first_choice": first_choice.to_dict()["quality"],
        # What is optimised, in which order (the matching page shows it with the Pareto check).
        "fairness": engine.FAIRNESS_STATEMENT,
        # Students working on their first choice even alone: the editor and the projector show no alarm.
        "solo": given.solo,
        # Everyone who ranked nothing (placed or not), for the editor's group.
        "not_ranked": [int(s) for s in given.unranked if s not in locks],
        # The published circles this run started from: only students whose circle changes are emailed.
        "previous_run": published.pk if published else None,
        "previous_assignments": published_assignments,
    }
    return payload, locks


def match_run_start(*, course: Course, locks: dict[str, str] | None = None, max_moves: int | None = None) -> MatchRun:
    """Run the matcher on the current rankings and keep the result as the course's draft.

    Locks default to those of the current draft (else the published run), so
    moves and locked circles survive every re-run; so does the cap on moves.
    """
    current = current_run(course=course)
    if locks is None:
        locks = dict(current.locks) if current else {}
    if max_moves is None:
        max_moves = ((current.result.get("quality") or {}).get("max_moves") or 0) if current else 0
    payload, locks = _match(course, locks=locks, max_moves=max_moves)
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


def _check_move(run: MatchRun, student_id: int, dataset_id: int) -> None:
    if str(student_id) not in run.result.get("assignments", {}) and student_id not in run.result.get("not_ranked", []):
        raise ValidationError("That student is not part of this matching.")
    if not Dataset.objects.for_course(run.course).in_catalog().filter(pk=dataset_id).exists():
        raise ValidationError("That dataset is not in the course's catalog.")


def match_run_move_preview(*, run: MatchRun, student_id: int, dataset_id: int) -> dict:
    """The run the move would give (its payload), without keeping it: the editor shows the change first."""
    _require_draft(run)
    _check_move(run, student_id, dataset_id)
    max_moves = (run.result.get("quality") or {}).get("max_moves") or 0
    payload, _ = _match(run.course, locks={**run.locks, str(student_id): str(dataset_id)}, max_moves=max_moves)
    return payload


def match_run_move(*, run: MatchRun, student_id: int, dataset_id: int) -> MatchRun:
    """Move a student to a dataset: the move is a lock, and the matcher re-runs around it."""
    _require_draft(run)
    _check_move(run, student_id, dataset_id)
    return match_run_start(course=run.course, locks={**run.locks, str(student_id): str(dataset_id)})


def match_run_set_unranked_policy(*, course: Course, place: bool) -> MatchRun:
    """Place (or leave out) the students who never ranked, and re-run the matcher with that policy."""
    course_update(course=course, place_unranked=place)
    return match_run_start(course=course)


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
    """Make the draft the course's matching; students see their circle, the projector shows it as published.

    Emails go to every student on a first publish; after that, only to those whose
    circle changed (late joiners and moved students) — see `selectors.circle_emails`.
    """
    _require_draft(run)
    gone = _missing_datasets(run)
    if gone:
        raise ValidationError("A dataset of this matching was removed from the catalog; run the matcher again.")
    with transaction.atomic():
        MatchRun.objects.for_course(run.course).published().update(status=RunStatus.SUPERSEDED)
        run.status = RunStatus.PUBLISHED
        run.published_at = timezone.now()
        run.save(update_fields=["status", "published_at"])
        activity_reveal(course=run.course, run=run)
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
    # A run that used up its attempts is left alone: its claim would refuse it anyway.
    due = MatchRun.objects.published().filter(
        notified_at__isnull=True, published_at__lt=timezone.now() - NOTIFY_RETRY_AFTER,
        notify_attempts__lt=NOTIFY_MAX_ATTEMPTS,
    )
    return sum(match_run_notify_send(run_id=run_id) for run_id in due.values_list("pk", flat=True))


# The task retries a failed send 5 times over about 2.5 minutes, and the sweeper
# queues it again after that: 18 attempts are three such rounds, a quarter of an
# hour, enough to outlast a mail server's restart. Then the page says it failed.
NOTIFY_MAX_ATTEMPTS = 18


def match_run_notify(*, run_id: int) -> int:
    """Email each student of a published run their dataset and circle, once. Returns emails sent.

    A failed attempt is recorded on the run with its reason (the matching page
    shows it) and raised for the task to retry, up to NOTIFY_MAX_ATTEMPTS.
    """
    # Claim the sending: a message redelivered after a worker crash finds it taken.
    claimed = MatchRun.objects.filter(
        pk=run_id, status=RunStatus.PUBLISHED, notified_at__isnull=True, notify_attempts__lt=NOTIFY_MAX_ATTEMPTS
    ).update(notified_at=timezone.now(), notify_attempts=F("notify_attempts") + 1)
    if not claimed:
        return 0
    run = MatchRun.objects.select_related("course").get(pk=run_id)
    try:
        sent = _circle_emails_send(run=run)
    except Exception as error:
        # Nothing (or not everything) went out: let a retry send them, and say why.
        if run.notify_attempts < NOTIFY_MAX_ATTEMPTS:
            then = f"trying again (attempt {run.notify_attempts} of {NOTIFY_MAX_ATTEMPTS})"
        else:
            then = f"gave up after {NOTIFY_MAX_ATTEMPTS} attempts"
        reason = " ".join(str(error).split()) or type(error).__name__
        MatchRun.objects.filter(pk=run_id).update(notified_at=None, notify_error=f"{reason[:200]}; {then}.")
        log.warning("circle emails for run %s failed: %s", run_id, reason, exc_info=True)
        raise
    MatchRun.objects.filter(pk=run_id).update(notify_error="")
    return sent


def _circle_emails_send(*, run: MatchRun) -> int:
    messages = [(e.subject, e.body, None, [e.to]) for e in circle_emails(run=run)]
    if messages:
        send_mass_mail(messages, fail_silently=False, connection=get_connection())
    return len(messages)
