"""Who may see what: one helper per object type.

Anyone who is not a member of a course gets 404 for everything in it, so a
URL never reveals that a course or object exists. A member without the role a
page needs gets 403.
"""
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from courseproj.models import Membership


def get_membership(user, course_id: int) -> Membership:
    if not user.is_authenticated:
        raise PermissionDenied
    return get_object_or_404(Membership.objects.select_related("course", "user"), course_id=course_id, user=user)


def get_staff_membership(user, course_id: int) -> Membership:
    """Instructors and TAs."""
    membership = get_membership(user, course_id)
    if not membership.is_staff_role:
        raise PermissionDenied
    return membership


def get_instructor_membership(user, course_id: int) -> Membership:
    membership = get_membership(user, course_id)
    if not membership.is_instructor:
        raise PermissionDenied
    return membership


def get_member_of_course(membership: Membership, member_id: int) -> Membership:
    """Another member of the same course (for staff pages)."""
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=member_id, course_id=membership.course_id
    )


def get_dataset(membership: Membership, dataset_id: int):
    """A dataset of the member's course that this member may see."""
    from datasets.models import Dataset

    return get_object_or_404(Dataset.objects.visible_to(membership).select_related("profile_job"), pk=dataset_id)


# --- the planner (issue 6) ---


def get_assignment(membership: Membership, assignment_id: int):
    """A project assignment of the member's course."""
    from courseproj.models import ProjectAssignment

    return get_object_or_404(ProjectAssignment, pk=assignment_id, course_id=membership.course_id)


def get_plan(membership: Membership, plan_id: int):
    """A plan of the member's course: staff see every plan, a student only their own.

    A classmate asking for someone else's plan gets 404, like an outsider: the
    URL does not even reveal that the plan exists.
    """
    from courseproj.models import Plan

    plans = Plan.objects.for_course(membership.course).select_related("assignment", "student", "dataset")
    if not membership.is_staff_role:
        plans = plans.filter(student=membership.user)
    return get_object_or_404(plans, pk=plan_id)


def get_milestone(plan, milestone_id: int):
    """A milestone of a plan already checked with get_plan."""
    return get_object_or_404(plan.milestones, pk=milestone_id)
