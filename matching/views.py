from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseproj.access import get_dataset, get_membership, get_staff_membership
from datasets.models import Dataset
from matching import services
from matching.models import Interest
from matching.selectors import interest_board, rankings_by_student


def _interests_context(membership) -> dict:
    course = membership.course
    ranking = list(
        Interest.objects.of_student(membership.user).filter(course=course).select_related("dataset").order_by("rank")
    )
    ranked_ids = {i.dataset_id for i in ranking}
    board = interest_board(course=course, viewer=membership)
    catalog = [d for d in Dataset.objects.for_course(course).in_catalog() if d.pk not in ranked_ids]
    return {
        "membership": membership,
        "course": course,
        "ranking": [(i, board[i.dataset_id]) for i in ranking],
        "catalog": [(d, board[d.pk]) for d in catalog],
        "slots_left": max(0, course.ranking_size - len(ranking)),
    }


@login_required
def interests(request, course_id: int):
    membership = get_membership(request.user, course_id)
    template = "matching/_interests.html" if request.htmx else "matching/interests.html"
    return render(request, template, _interests_context(membership))


ACTIONS = {
    "add": lambda m, d: services.interest_add(membership=m, dataset_id=d),
    "remove": lambda m, d: services.interest_remove(membership=m, dataset_id=d),
    "up": lambda m, d: services.interest_move(membership=m, dataset_id=d, offset=-1),
    "down": lambda m, d: services.interest_move(membership=m, dataset_id=d, offset=1),
}
DONE = {"add": "added to your list", "remove": "removed from your list", "up": "moved up", "down": "moved down"}
NOOP = {"add": "is already on your list", "remove": "was not on your list", "up": "is already first", "down": "is already last"}


@login_required
@require_POST
def interest_change(request, course_id: int, dataset_id: int, action: str):
    membership = get_membership(request.user, course_id)
    dataset = get_dataset(membership, dataset_id)
    if action not in ACTIONS:
        messages.error(request, "Unknown action.")
    else:
        try:
            changed = ACTIONS[action](membership, dataset.pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = DONE[action] if changed else NOOP[action]
            (messages.success if changed else messages.info)(request, f"“{dataset.title}” {text}.")
    if request.htmx:
        return render(request, "matching/_interests.html", _interests_context(membership))
    return redirect("interests", course_id=course_id)


@login_required
def everyone(request, course_id: int):
    """The instructor's view of every student's ranking."""
    membership = get_staff_membership(request.user, course_id)
    course = membership.course
    rankings = rankings_by_student(course=course)
    students = course.memberships.students().select_related("user")
    rows = [(m, rankings.get(m.user_id, [])) for m in students]
    return render(
        request,
        "matching/everyone.html",
        {"membership": membership, "course": course, "rows": rows, "ranks": range(1, course.ranking_size + 1),
         "not_ranked": sum(1 for _, r in rows if not r)},
    )
