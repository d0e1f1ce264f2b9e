"""The matching editor (staff) and a student's circle page.

Every button has its own URL and view: run, preview a move, move, lock, place
or leave the students who never ranked, preview the publishing, publish, show
on the projector.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from courseproj.courses.access import get_membership, get_staff_membership, get_visible
from courseproj.courses.web import call_service, form_refused
from datasets.models import Dataset
from datasets.selectors import baseline_to_beat
from matching import services
from matching.forms import MoveForm, RunForm
from matching.models import MatchRun
from matching.runs import circle_emails, circles_of, current_run, move_preview, run_view, unplaced_reason
from matching.selectors import activity_for


def _staff_run(request, course_id: int, run_id: int) -> MatchRun:
    membership = get_staff_membership(request.user, course_id)
    return get_visible(MatchRun.objects.select_related("course"), membership, run_id)


def _move_form(view, data=None, *, dataset_required: bool = True) -> MoveForm:
    return MoveForm(data, students=view.student_choices(), datasets=view.circle_choices(),
                    dataset_required=dataset_required)


@login_required
def matching(request, course_id: int):
    """The editor: circles with each student's rank and reason, quality numbers, moves, locks, publishing."""
    membership = get_staff_membership(request.user, course_id)
    course = membership.course
    run = current_run(course=course)
    published = MatchRun.objects.for_course(course).published().first()
    context = {"membership": membership, "course": course, "run": run, "published": published,
               "run_form": RunForm()}
    if run is not None:
        view = run_view(run=run)
        context.update(
            view=view,
            move_form=_move_form(view),
            revealed=activity_for(course=course).revealed_run_id == run.pk,
        )
    return render(request, "matching/matching.html", context)


@login_required
@require_POST
def matching_run(request, course_id: int):
    membership = get_staff_membership(request.user, course_id)
    form = RunForm(request.POST)
    if form_refused(request, form):
        return redirect("matching", course_id=course_id)
    run = services.match_run_start(course=membership.course, max_moves=form.cleaned_data["max_moves"] or 0)
    quality = run.result.get("quality", {})
    if not quality.get("students"):
        messages.warning(request, "Nobody has ranked a dataset yet, so there is nothing to match.")
    else:
        moved = f"; {quality['moved']} moved from the published circles" if quality.get("previous") else ""
        messages.success(
            request,
            f"Matched {quality['students']} students: {quality['buddy_rate']:.0%} share their dataset "
            f"with a classmate; locks kept: {len(run.locks)}{moved}.",
        )
    return redirect("matching", course_id=course_id)


@login_required
@require_GET
def matching_move_preview(request, course_id: int, run_id: int):
    """Choose a circle for a student and see what the move changes before applying it."""
    membership = get_staff_membership(request.user, course_id)
    run = get_visible(MatchRun.objects.select_related("course"), membership, run_id)
    view = run_view(run=run)
    form = _move_form(view, request.GET, dataset_required=False)
    if not form.is_valid():
        messages.error(request, "Choose a student of this matching and a dataset of the catalog.")
        return redirect("matching", course_id=course_id)
    student_id, dataset_id = form.cleaned_data["student"], form.cleaned_data["dataset"]
    preview = None
    if dataset_id:
        ok, payload = call_service(request, services.match_run_move_preview, run=run, student_id=student_id,
                                   dataset_id=dataset_id)
        if not ok:
            return redirect("matching", course_id=course_id)
        preview = move_preview(run=run, payload=payload, student_id=student_id)
    return render(request, "matching/move_preview.html", {
        "membership": membership, "course": run.course, "run": run, "form": form, "preview": preview,
        "student_id": student_id, "dataset_id": dataset_id, "person": view.member(student_id),
        "student_name": view.student_names.get(str(student_id), ""),
        "dataset_title": view.dataset_titles.get(str(dataset_id), ""),
    })


@login_required
@require_POST
def matching_move(request, course_id: int, run_id: int):
    run = _staff_run(request, course_id, run_id)
    form = _move_form(run_view(run=run), request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a student of this matching and a dataset of the catalog.")
    elif call_service(request, services.match_run_move, run=run, student_id=form.cleaned_data["student"],
                      dataset_id=form.cleaned_data["dataset"])[0]:
        messages.success(request, "Moved and locked; the matcher re-ran around the move.")
    return redirect("matching", course_id=course_id)


def _run_change(request, course_id: int, run_id: int, service, text: str, **changes):
    """Apply one of the editor's switches to a run (`service(run=..., **changes)`) and say so; a refusal says why."""
    run = _staff_run(request, course_id, run_id)
    if call_service(request, service, run=run, **changes)[0]:
        messages.success(request, text)
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_lock(request, course_id: int, run_id: int, dataset_id: int):
    return _run_change(request, course_id, run_id, services.match_run_lock_circle, "Circle locked: re-runs keep it.",
                       dataset_id=dataset_id, locked=True)


@login_required
@require_POST
def matching_unlock(request, course_id: int, run_id: int, dataset_id: int):
    return _run_change(request, course_id, run_id, services.match_run_lock_circle, "Circle unlocked.",
                       dataset_id=dataset_id, locked=False)


def _unranked_policy(request, course_id: int, *, place: bool, text: str):
    membership = get_staff_membership(request.user, course_id)
    services.match_run_set_unranked_policy(course=membership.course, place=place)
    messages.success(request, text)
    return redirect("matching", course_id=course_id)


@login_required
@require_POST
def matching_place_unranked(request, course_id: int):
    return _unranked_policy(request, course_id, place=True,
                            text="Students who never ranked are placed where a circle needs them or has room.")


@login_required
@require_POST
def matching_leave_unranked(request, course_id: int):
    return _unranked_policy(request, course_id, place=False,
                            text="Students who never ranked are left out and listed for you to place.")


@login_required
@require_GET
def matching_publish_confirm(request, course_id: int, run_id: int):
    """What publishing sends: each student's circle, reason and email, before the instructor confirms."""
    run = _staff_run(request, course_id, run_id)
    if run.status != "draft":
        messages.info(request, "This matching is no longer the draft; run the matcher again to change it.")
        return redirect("matching", course_id=course_id)
    return render(request, "matching/publish_confirm.html", {
        "membership": get_staff_membership(request.user, course_id), "course": run.course, "run": run,
        "view": run_view(run=run), "emails": circle_emails(run=run),
    })


@login_required
@require_POST
def matching_publish(request, course_id: int, run_id: int):
    return _run_change(request, course_id, run_id, services.match_run_publish,
                       "Published: students see their circle, the projector shows it; the emails are on their way.")


@login_required
@require_POST
def matching_reveal(request, course_id: int, run_id: int):
    return _run_change(request, course_id, run_id, services.match_run_show, "The projector shows the circles.",
                       shown=True)


@login_required
@require_POST
def matching_hide(request, course_id: int, run_id: int):
    return _run_change(request, course_id, run_id, services.match_run_show,
                       "The projector shows the interest board again.", shown=False)


@login_required
def circle(request, course_id: int):
    """A student's circle: the dataset of the published matching, who shares it, and why this one."""
    membership = get_membership(request.user, course_id)
    run = MatchRun.objects.for_course(membership.course).published().first()
    mine = circles_of(run=run, student_ids=[membership.user_id]).get(membership.user_id) if run else None
    dataset = Dataset.objects.select_related("profile_job").filter(pk=mine.dataset_id).first() if mine else None
    job = dataset.profile_job if dataset else None
    to_beat = baseline_to_beat(job.result) if job and job.status == "done" else None
    why_not = unplaced_reason(run=run, student_id=membership.user_id) if run and not mine else ""
    return render(
        request,
        "matching/circle.html",
        {"membership": membership, "course": membership.course, "run": run, "circle": mine, "to_beat": to_beat,
         "why_not": why_not},
    )
