from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courseproj.courses.access import (
    get_course_by_display_token,
    get_membership,
    get_staff_membership,
    get_visible,
)
from courseproj.courses.models import Course
from courseproj.courses.web import call_service, form_refused, join_url, qr_svg_response
from datasets.models import Dataset
from matching import services
from matching.forms import ActivityForm
from matching.live_payloads import board_context, phone_state
from matching.models import Interest
from matching.runs import current_run
from matching.selectors import (
    activity_for,
    board_etag,
    course_etag,
    display_link_was_replaced,
    interest_board,
    rankings_by_student,
    suggestions_for_lonely,
)

# How often pages poll the board (ms) when they cannot hold a stream
# (matching/live_views.py). The projector polls fast so a pick shows within a
# second; phones poll slower to spare their batteries and the server.
PROJECTOR_POLL_MS = 500
PHONE_POLL_MS = 2000


def _interests_context(membership) -> dict:
    course = membership.course
    ranking = list(
        Interest.objects.of_student(membership.user).filter(course=course).select_related("dataset").order_by("rank")
    )
    ranked_ids = {i.dataset_id for i in ranking}
    activity = activity_for(course=course)
    board = interest_board(course=course, show_names=membership.sees_names)
    in_catalog = list(Dataset.objects.for_course(course).in_catalog())
    catalog = [d for d in in_catalog if d.pk not in ranked_ids]
    # A pick nobody else shares gets a suggestion: the most similar dataset others picked.
    suggestions = suggestions_for_lonely(
        course=course,
        interested={d: info.students for d, info in board.items()},
        titles={d.pk: d.title for d in catalog} | {i.dataset_id: i.dataset.title for i in ranking},
        lonely={i.dataset_id: membership.user_id for i in ranking if board[i.dataset_id].count == 1},
    )
    return {
        "membership": membership,
        "course": course,
        "activity": activity,
        # Picks close when the instructor locks the rankings or the countdown runs out.
        "picks_closed": course.interests_locked or activity.picks_closed,
        "ranking": [(i, board[i.dataset_id], suggestions.get(i.dataset_id)) for i in ranking],
        "catalog": [(d, board[d.pk]) for d in catalog],
        "slots_left": max(0, course.ranking_size - len(ranking)),
        # What the page shows besides the who-lines: a stream saying otherwise makes it refetch.
        "live_state": phone_state(course=course, activity=activity, catalog=[(d.pk, d.title) for d in in_catalog]),
    }


def _not_modified(request, etag: str) -> bool:
    return request.headers.get("If-None-Match") == etag


@login_required
def interests(request, course_id: int):
    """The student's ranking; polled live (with the course's ETag) while classmates pick."""
    membership = get_membership(request.user, course_id)
    etag = course_etag(course=membership.course)
    live = request.headers.get("X-Live") == "1"
    if live and _not_modified(request, etag):
        return HttpResponseNotModified(headers={"ETag": etag})
    template = "matching/_interests.html" if request.htmx or live else "matching/interests.html"
    context = {**_interests_context(membership), "poll_ms": PHONE_POLL_MS, "etag": etag}
    response = render(request, template, context)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _interest_changed(request, membership, dataset: Dataset, changed: bool | None, done: str, noop: str):
    """Say what happened (None: the service refused, its reason is already shown) and redraw the list."""
    if changed is not None:
        (messages.success if changed else messages.info)(request, f"“{dataset.title}” {done if changed else noop}.")
    if request.htmx:
        membership.course.refresh_from_db(fields=["live_version"])
        response = render(request, "matching/_interests.html", _interests_context(membership))
        # The live poller takes this as the state it has seen (no refetch of what it just drew).
        response["ETag"] = course_etag(course=membership.course)
        return response
    return redirect("interests", course_id=membership.course_id)


def _ranked_dataset(request, course_id: int, dataset_id: int):
    membership = get_membership(request.user, course_id)
    return membership, get_visible(Dataset.objects, membership, dataset_id)


@login_required
@require_POST
def interest_add(request, course_id: int, dataset_id: int):
    membership, dataset = _ranked_dataset(request, course_id, dataset_id)
    _, changed = call_service(request, services.interest_add, membership=membership, dataset_id=dataset.pk)
    return _interest_changed(request, membership, dataset, changed, "added to your list", "is already on your list")


@login_required
@require_POST
def interest_remove(request, course_id: int, dataset_id: int):
    membership, dataset = _ranked_dataset(request, course_id, dataset_id)
    _, changed = call_service(request, services.interest_remove, membership=membership, dataset_id=dataset.pk)
    return _interest_changed(request, membership, dataset, changed, "removed from your list", "was not on your list")


@login_required
@require_POST
def interest_up(request, course_id: int, dataset_id: int):
    membership, dataset = _ranked_dataset(request, course_id, dataset_id)
    _, changed = call_service(request, services.interest_move, membership=membership, dataset_id=dataset.pk, offset=-1)
    return _interest_changed(request, membership, dataset, changed, "moved up", "is already first")


@login_required
@require_POST
def interest_down(request, course_id: int, dataset_id: int):
    membership, dataset = _ranked_dataset(request, course_id, dataset_id)
    _, changed = call_service(request, services.interest_move, membership=membership, dataset_id=dataset.pk, offset=1)
    return _interest_changed(request, membership, dataset, changed, "moved down", "is already last")


def _solo_changed(request, course_id: int, solo: bool):
    membership = get_membership(request.user, course_id)
    _, changed = call_service(request, services.interest_set_solo, membership=membership, solo=solo)
    if changed:
        messages.success(request, "You will work on your first choice even alone." if solo
                         else "Your first choice is a wish again: the matcher may give you company elsewhere.")
    return _interest_changed(request, membership, None, None, "", "")  # the message is said above


@login_required
@require_POST
def interest_solo(request, course_id: int):
    """"I'll work on this even alone": the first choice becomes a lock for the matcher."""
    return _solo_changed(request, course_id, True)


@login_required
@require_POST
def interest_not_solo(request, course_id: int):
    return _solo_changed(request, course_id, False)


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


# --- the in-class activity ----------------------------------------------------------


@login_required
def activity(request, course_id: int):
    """The instructor's controller for the projector."""
    membership = get_staff_membership(request.user, course_id)
    course = membership.course
    return render(
        request,
        "matching/activity.html",
        {
            "membership": membership,
            "course": course,
            "form": ActivityForm(),
            "activity": activity_for(course=course),
            "picks_closed_text": services.PICKS_CLOSED,
            "display_url": request.build_absolute_uri(reverse("display", args=[course.display_token])),
            "run": current_run(course=course),
        },
    )


@login_required
@require_POST
def activity_open(request, course_id: int):
    membership = get_staff_membership(request.user, course_id)
    form = ActivityForm(request.POST)
    if form_refused(request, form):
        return redirect("activity", course_id=course_id)
    minutes = form.cleaned_data["minutes"] or 0
    services.activity_open(course=membership.course, minutes=minutes)
    messages.success(request, f"Activity started{f' with a {minutes}-minute countdown' if minutes else ''}.")
    return redirect("activity", course_id=course_id)


def _activity_change(request, course_id: int, service, text: str, **changes):
    """Apply one of the controller's switches (the service decides what it changes) and say so."""
    membership = get_staff_membership(request.user, course_id)
    service(course=membership.course, **changes)
    messages.success(request, text)
    return redirect("activity", course_id=course_id)


@login_required
@require_POST
def activity_close(request, course_id: int):
    return _activity_change(request, course_id, services.activity_close, "Activity ended.")


@login_required
@require_POST
def activity_reopen_picks(request, course_id: int):
    return _activity_change(request, course_id, services.activity_reopen_picks,
                            "Picks are open again; the activity goes on without a countdown.")


@login_required
@require_POST
def activity_anonymous(request, course_id: int):
    return _activity_change(request, course_id, services.course_set_anonymous,
                            "Anonymous mode is on: only counts are shown.", anonymous=True)


@login_required
@require_POST
def activity_named(request, course_id: int):
    return _activity_change(request, course_id, services.course_set_anonymous, "Names are shown again.",
                            anonymous=False)


@login_required
@require_POST
def activity_lock_rankings(request, course_id: int):
    return _activity_change(request, course_id, services.course_set_interests_locked, "Rankings are locked.",
                            locked=True)


@login_required
@require_POST
def activity_unlock_rankings(request, course_id: int):
    return _activity_change(request, course_id, services.course_set_interests_locked, "Rankings are open again.",
                            locked=False)


@login_required
@require_POST
def display_link_regenerate(request, course_id: int):
    return _activity_change(request, course_id, services.activity_replace_display_link,
                            "New projector link made; a projector on the old link says it was replaced.")


# --- the projector (no login: the secret link is the key) ------------------------------


def _projector_course(token: str) -> Course | None:
    """The course of a projector link; None when the link was replaced (a wrong link stays a 404)."""
    try:
        return get_course_by_display_token(token)
    except Http404:
        if display_link_was_replaced(display_token=token):
            return None
        raise


@require_GET
def display(request, token: str):
    """The projector page: reached by its secret link, no login in front of the class."""
    course = _projector_course(token)
    if course is None:
        return render(request, "matching/display_replaced.html", status=410)
    return render(
        request,
        "matching/display.html",
        {"course": course, "join_url": join_url(request, course), "poll_ms": PROJECTOR_POLL_MS,
         **board_context(course)},
    )


@require_GET
def display_board(request, token: str):
    """The projector's poll: 304 from one small read while nothing changed."""
    etag = board_etag(display_token=token)
    if etag is not None and _not_modified(request, etag):
        return HttpResponseNotModified(headers={"ETag": etag})
    course = _projector_course(token)
    if course is None:
        # An open projector on a replaced link: live.js shows this and stops polling.
        return render(request, "matching/_display_replaced.html", status=410)
    context = board_context(course)
    response = render(request, "matching/_board.html", context)
    response["ETag"] = context["etag"]
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def display_qr(request, token: str):
    course = get_course_by_display_token(token)
    return qr_svg_response(join_url(request, course), scale=10)
