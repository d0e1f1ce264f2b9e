import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courseproj.access import get_dataset, get_membership, get_staff_membership
from courseproj.models import Course
from courseproj.services import course_regenerate_display_link
from datasets.models import Dataset
from matching import services
from matching.forms import ActivityForm, LockForm, MoveForm, RevealForm, dataset_choices
from matching.models import Interest, MatchRun, RunStatus
from matching.selectors import (
    activity_for,
    board_state,
    board_version,
    circles_of,
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
    """The student's ranking; polled live (with the board's ETag) while classmates pick."""
    membership = get_membership(request.user, course_id)
    etag = activity_for(course=membership.course).etag
    live = request.headers.get("X-Live") == "1"
    if live and _not_modified(request, etag):
        return HttpResponseNotModified(headers={"ETag": etag})
    template = "matching/_interests.html" if request.htmx or live else "matching/interests.html"
    context = {**_interests_context(membership), "poll_ms": PHONE_POLL_MS, "etag": etag}
    response = render(request, template, context)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


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
        response = render(request, "matching/_interests.html", _interests_context(membership))
        # The live poller takes this as the state it has seen (no refetch of what it just drew).
        response["ETag"] = activity_for(course=membership.course).etag
        return response
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


# --- matching runs (staff) --------------------------------------------------------


def _current_run(course: Course) -> MatchRun | None:
    """The draft being worked on, else the published run."""
    runs = MatchRun.objects.for_course(course)
    return runs.filter(status=RunStatus.DRAFT).first() or runs.published().first()


def _get_run(membership, run_id: int) -> MatchRun:
    return get_object_or_404(MatchRun.objects.select_related("course"), pk=run_id, course=membership.course)


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
            move_form=MoveForm(
                students=view.student_choices(),
                datasets=dataset_choices(course),
            ),
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


def _run_action(request, course_id: int, run_id: int, action) -> HttpResponse:
    membership = get_staff_membership(request.user, course_id)
    run = _get_run(membership, run_id)
    try:
        text = action(membership, run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, text)
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_move(request, course_id: int, run_id: int):
    def move(membership, run):
        form = MoveForm(
            request.POST, students=run_view(run=run).student_choices(), datasets=dataset_choices(run.course)
        )
        if not form.is_valid():
            raise ValidationError("Choose a student of this matching and a dataset of the catalog.")
        services.match_run_move(run=run, student_id=form.cleaned_data["student"], dataset_id=form.cleaned_data["dataset"])
        return "Moved and locked; the matcher re-ran around the move."

    return _run_action(request, course_id, run_id, move)


@login_required
@require_POST
def matching_lock(request, course_id: int, run_id: int):
    def lock(membership, run):
        form = LockForm(request.POST)
        if not form.is_valid():
            raise ValidationError("Choose a circle.")
        locked = form.cleaned_data["locked"]
        services.match_run_lock_circle(run=run, dataset_id=form.cleaned_data["dataset"], locked=locked)
        return "Circle locked: re-runs keep it." if locked else "Circle unlocked."

    return _run_action(request, course_id, run_id, lock)


@login_required
@require_POST
def matching_publish(request, course_id: int, run_id: int):
    def publish(membership, run):
        services.match_run_publish(run=run)
        return "Published: every student sees their circle and gets an email."

    return _run_action(request, course_id, run_id, publish)


@login_required
@require_POST
def matching_reveal(request, course_id: int, run_id: int):
    def reveal(membership, run):
        form = RevealForm(request.POST)
        show = form.is_valid() and form.cleaned_data["show"]
        services.activity_reveal(course=run.course, run=run if show else None)
        return "The projector shows the circles." if show else "The projector shows the interest board again."

    return _run_action(request, course_id, run_id, reveal)


@login_required
def circle(request, course_id: int):
    """A student's circle: the dataset of the published matching and who shares it."""
    membership = get_membership(request.user, course_id)
    run = MatchRun.objects.for_course(membership.course).published().first()
    mine = circles_of(run=run, student_ids=[membership.user_id]).get(membership.user_id) if run else None
    dataset = Dataset.objects.select_related("profile_job").filter(pk=mine.dataset_id).first() if mine else None
    job = dataset.profile_job if dataset else None
    to_beat = (job.result or {}).get("baseline_to_beat") if job and job.status == "done" else None
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
    form = ActivityForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            messages.success(request, _activity_apply(course, form.cleaned_data["action"], form.cleaned_data["minutes"]))
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("activity", course_id=course_id)
    return render(
        request,
        "matching/activity.html",
        {
            "membership": membership,
            "course": course,
            "form": form,
            "activity": activity_for(course=course),
            "display_url": request.build_absolute_uri(reverse("display", args=[course.display_token])),
            "run": _current_run(course),
        },
    )


def _activity_apply(course: Course, action: str, minutes: int | None) -> str:
    if action == "open":
        services.activity_open(course=course, minutes=minutes or 0)
        return f"Activity started{f' with a {minutes}-minute countdown' if minutes else ''}."
    if action == "close":
        services.activity_close(course=course)
        return "Activity ended."
    if action in ("anonymous", "named"):
        services.course_set_anonymous(course=course, anonymous=action == "anonymous")
        return "Anonymous mode is on: only counts are shown." if action == "anonymous" else "Names are shown again."
    if action in ("lock", "unlock"):
        services.course_set_interests_locked(course=course, locked=action == "lock")
        return "Rankings are locked." if action == "lock" else "Rankings are open again."
    course_regenerate_display_link(course=course)
    return "New projector link made; the old link no longer works."


def _display_course(token: str) -> Course:
    return get_object_or_404(Course, display_token=token)


@require_GET
def display(request, token: str):
    """The projector page: reached by its secret link, no login in front of the class."""
    course = _display_course(token)
    return render(
        request,
        "matching/display.html",
        {
            "course": course,
            "join_url": request.build_absolute_uri(reverse("join_link", args=[course.join_code])),
            "poll_ms": PROJECTOR_POLL_MS,
            **_display_board_context(course),
        },
    )


def _display_board_context(course: Course) -> dict:
    activity = activity_for(course=course)
    revealed = activity.revealed_run
    return {
        "course": course,
        "activity": activity,
        "etag": activity.etag,
        "board": None if revealed else board_state(course=course, show_names=not course.anonymous),
        "view": run_view(run=revealed, show_names=not course.anonymous) if revealed else None,
    }


@require_GET
def display_board(request, token: str):
    """The projector's poll: 304 from one small read while nothing changed."""
    etag = board_version(display_token=token)
    if etag is not None and _not_modified(request, etag):
        return HttpResponseNotModified(headers={"ETag": etag})
    course = _display_course(token)
    context = _display_board_context(course)
    response = render(request, "matching/_board.html", context)
    response["ETag"] = context["etag"]
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def display_qr(request, token: str):
    course = _display_course(token)
    url = request.build_absolute_uri(reverse("join_link", args=[course.join_code]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=10, border=2, dark="#111", light="#fff")
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "no-store"})
