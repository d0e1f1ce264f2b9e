"""The board follows what it shows: courses, members and datasets change in other apps.

Interests and runs touch the board in their own services; these receivers
cover the rest (a setting saved, a student joining, a dataset added or
profiled), so no other app needs to know that a projector is polling.
"""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from courseproj.models import Course, Membership
from datasets.models import Dataset
from matching.services import board_touch


@receiver(post_save, sender=Course, dispatch_uid="board_course_saved")
def _course_saved(sender, instance: Course, created: bool, **kwargs) -> None:
    board_touch(course_id=instance.pk)


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="board_membership_changed")
@receiver([post_save, post_delete], sender=Dataset, dispatch_uid="board_dataset_changed")
def _member_or_dataset_changed(sender, instance, **kwargs) -> None:
    board_touch(course_id=instance.course_id)
