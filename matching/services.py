"""State changes of interests (ranked dataset lists)."""
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from courseproj.models import Membership
from datasets.models import Dataset
from matching.models import Interest

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
