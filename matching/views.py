from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotModified
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
from courseproj.courses.services import course_regenerate_display_link
from courseproj.courses.web import call_service, join_url, qr_svg_response
from datasets.models import Dataset
from datasets.selectors import baseline_to_beat
from matching import services
from matching.forms import ActivityForm, MoveForm, dataset_choices
from matching.models import Interest, MatchRun, RunStatus
from matching.selectors import (
    activity_for,
    board_etag,
    board_state,
    circles_of,
    course_etag,
    interest_board,
    rankings_by_student,
    run_view,
    suggestions_for_lonely,
)

# How often pages poll the board (ms). The projector polls fast so a pick shows
# within a second; phones poll slower to spare their batteries and the server.
PROJECTOR_POLL_MS = 500
PHONE_POLL_MS = 2000


def _interests_context(membership) -> dict:
    course = membership.course
    ranking = list(
        Interest.objects.of_student(membership.user).filter(course=course).select_related("dataset").order_by("rank")
    )
    ranked_ids = {i.dataset_id for i in ranking}
    board = interest_board(course=course, viewer=membership)
    catalog = [d for d in Dataset.objects.for_course(course).in_catalog() if d.pk not in ranked_ids]
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
        "ranking": [(i, board[i.dataset_id], suggestions.get(i.dataset_id)) for i in ranking],
        "catalog": [(d, board[d.pk]) for d in catalog],
        "slots_left": max(0, course.ranking_size - len(ranking)),
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


# --- matching runs (staff) --------------------------------------------------------


def _current_run(course: Course) -> MatchRun | None:
    """The draft being worked on, else the published run."""
    runs = MatchRun.objects.for_course(course)
    return runs.filter(status=RunStatus.DRAFT).first() or runs.published().first()


def _staff_run(request, course_id: int, run_id: int) -> MatchRun:
    membership = get_staff_membership(request.user, course_id)
    return get_visible(MatchRun.objects.select_related("course"), membership, run_id)


@login_required
def matching(request, course_id: int):
    """Run the matcher, see circles and quality, move and lock, publish."""
    membership = get_staff_membership(request.user, course_id)
    course = membership.course
    run = _current_run(course)
    context = {"membership": membership, "course": course, "run": run}
    if run is not None:
        view = run_view(run=run)
        context.update(
            view=view,
            move_form=MoveForm(students=view.student_choices(), datasets=dataset_choices(course)),
            published=MatchRun.objects.for_course(course).published().first(),
            revealed=activity_for(course=course).revealed_run_id == run.pk,
        )
    return render(request, "matching/matching.html", context)


@login_required
@require_POST
def matching_run(request, course_id: int):
    membership = get_staff_membership(request.user, course_id)
    run = services.match_run_start(course=membership.course)
    quality = run.result.get("quality", {})
    if not quality.get("students"):
        messages.warning(request, "Nobody has ranked a dataset yet, so there is nothing to match.")
    else:
        messages.success(
            request,
            f"Matched {quality['students']} students: {quality['buddy_rate']:.0%} share their dataset "
            f"with a classmate; locks kept: {len(run.locks)}.",
        )
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_move(request, course_id: int, run_id: int):
    run = _staff_run(request, course_id, run_id)
    form = MoveForm(request.POST, students=run_view(run=run).student_choices(), datasets=dataset_choices(run.course))
    if not form.is_valid():
        messages.error(request, "Choose a student of this matching and a dataset of the catalog.")
    elif call_service(request, services.match_run_move, run=run, student_id=form.cleaned_data["student"],
                      dataset_id=form.cleaned_data["dataset"])[0]:
        messages.success(request, "Moved and locked; the matcher re-ran around the move.")
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_lock(request, course_id: int, run_id: int, dataset_id: int):
    run = _staff_run(request, course_id, run_id)
    if call_service(request, services.match_run_lock_circle, run=run, dataset_id=dataset_id, locked=True)[0]:
        messages.success(request, "Circle locked: re-runs keep it.")
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_unlock(request, course_id: int, run_id: int, dataset_id: int):
    run = _staff_run(request, course_id, run_id)
    if call_service(request, services.match_run_lock_circle, run=run, dataset_id=dataset_id, locked=False)[0]:
        messages.success(request, "Circle unlocked.")
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_publish(request, course_id: int, run_id: int):
    run = _staff_run(request, course_id, run_id)
    if call_service(request, services.match_run_publish, run=run)[0]:
        messages.success(request, "Published: every student sees their circle; the emails are on their way.")
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_reveal(request, course_id: int, run_id: int):
    run = _staff_run(request, course_id, run_id)
    services.activity_reveal(course=run.course, run=run)
    messages.success(request, "The projector shows the circles.")
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_hide(request, course_id: int, run_id: int):
    run = _staff_run(request, course_id, run_id)
    services.activity_reveal(course=run.course, run=None)
    messages.success(request, "The projector shows the interest board again.")
    return redirect("matching", course_id=course_id)


@login_required
def circle(request, course_id: int):
    """A student's circle: the dataset of the published matching and who shares it."""
    membership = get_membership(request.user, course_id)
    run = MatchRun.objects.for_course(membership.course).published().first()
    mine = circles_of(run=run, student_ids=[membership.user_id]).get(membership.user_id) if run else None
    dataset = Dataset.objects.select_related("profile_job").filter(pk=mine.dataset_id).first() if mine else None
    job = dataset.profile_job if dataset else None
    to_beat = baseline_to_beat(job.result) if job and job.status == "done" else None
    return render(
        request,
        "matching/circle.html",
        {"membership": membership, "course": membership.course, "run": run, "circle": mine, "to_beat": to_beat},
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
            "display_url": request.build_absolute_uri(reverse("display", args=[course.display_token])),
            "run": _current_run(course),
        },
    )


@login_required
@require_POST
def activity_open(request, course_id: int):
    membership = get_staff_membership(request.user, course_id)
    form = ActivityForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
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
    return _activity_change(request, course_id, course_regenerate_display_link,
                            "New projector link made; the old link no longer works.")


# --- the projector (no login: the secret link is the key) ------------------------------


@require_GET
def display(request, token: str):
    """The projector page: reached by its secret link, no login in front of the class."""
    course = get_course_by_display_token(token)
    return render(
        request,
        "matching/display.html",
        {"course": course, "join_url": join_url(request, course), "poll_ms": PROJECTOR_POLL_MS,
         **_display_board_context(course)},
    )


def _display_board_context(course: Course) -> dict:
    activity = activity_for(course=course)
    revealed = activity.revealed_run
    return {
        "course": course,
        "activity": activity,
        "etag": course_etag(course=course),
        "board": None if revealed else board_state(course=course, show_names=not course.anonymous),
        "view": run_view(run=revealed, show_names=not course.anonymous) if revealed else None,
    }


@require_GET
def display_board(request, token: str):
    """The projector's poll: 304 from one small read while nothing changed."""
    etag = board_etag(display_token=token)
    if etag is not None and _not_modified(request, etag):
        return HttpResponseNotModified(headers={"ETag": etag})
    course = get_course_by_display_token(token)
    context = _display_board_context(course)
    response = render(request, "matching/_board.html", context)
    response["ETag"] = context["etag"]
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def display_qr(request, token: str):
    course = get_course_by_display_token(token)
    return qr_svg_response(join_url(request, course), scale=10)
