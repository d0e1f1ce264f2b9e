"""Who may see what: the one place that decides.

1. Anyone who is not a member of a course gets 404 for everything in it, so a
   URL never reveals that a course or an object exists.
2. A member without the role a page needs gets 403 (`get_staff_membership`,
   `get_instructor_membership`, `require_owner`).
3. An object inside a course is fetched with `get_visible(queryset,
   membership, pk)`: the model's QuerySet says in its `visible_to(membership)`
   method which rows a member may see (a student sees only their own plan,
   only staff see matching runs...), and anything else is a 404.
4. The projector has no login: its secret link is the key
   (`get_course_by_display_token`).

The rule for services: **services do not check who is asking.** Views (and
commands, the admin) decide access here, then hand the objects they got to a
service; a service checks only the state of what it changes (a plan is
editable, a run is still a draft, the rankings are open).
"""
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from courseproj.courses.models import Course, Membership


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


def get_visible(queryset: QuerySet, membership: Membership, pk: int) -> Model:
    """One object of the member's course that this member may see, else 404."""
    return get_object_or_404(queryset.visible_to(membership), pk=pk)


def require_owner(obj, membership: Membership, *, owner_field: str = "student_id") -> None:
    """Only the member the object belongs to may change it (staff read it, and get 403 here)."""
    if getattr(obj, owner_field) != membership.user_id:
        raise PermissionDenied


def get_course_by_display_token(token: str) -> Course:
    """The projector's course: its secret link is the only key; a replaced link is a 404."""
    if not token or len(token) > 64:
        raise Http404
    return get_object_or_404(Course, display_token=token)
