"""The LMS's doors (login, launch, deep linking, key set, configuration) and the staff's LMS page.

The launch validates everything first (courseproj/lti/launch.py), then writes in
one transaction (services.launch_accept); a refusal is a page in words, status
403 (400 for a malformed login), with nothing created.
"""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lti_tool.models import Key

from courseproj.courses.access import get_instructor_membership, get_staff_membership, get_visible
from courseproj.courses.web import call_service
from courseproj.lti import exports, selectors, services
from courseproj.lti.forms import CanvasPushForm
from courseproj.lti.launch import DEEP_LINKING, LaunchRefused, deep_link_response, login_redirect, validate_launch
from matching.models import MatchRun

DEEP_LINK_SESSION_KEY = "lti_deep_link_launch"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refused(request, refusal: LaunchRefused):
    return render(request, "lti/refused.html", {"reason": str(refusal)}, status=refusal.status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def lti_login(request):
    """OIDC third-party-initiated login: remember state and nonce, 302 to the platform."""
    try:
        return login_redirect(request, request.build_absolute_uri(reverse("lti_launch")))
    except LaunchRefused as refusal:
        return _refused(request, refusal)


@csrf_exempt
@require_POST
def lti_launch(request):
    """The platform's form post of the id_token: validate, write, sign in, then the course."""
    try:
        launch = validate_launch(request)
        result = services.launch_accept(launch=launch)
    except LaunchRefused as refusal:
        return _refused(request, refusal)
    login(request, result.user, backend=BACKEND)
    course = result.link.course
    if launch.message_type == DEEP_LINKING:
        request.session[DEEP_LINK_SESSION_KEY] = launch.launch_id
        return render(request, "lti/deep_link.html", {"link": result.link})
    if result.created_course:
        messages.success(request, f"{course} is now linked to your LMS course. Students who open courseproj there join it.")
    name = "course_detail" if result.membership.is_staff_role else "interests"
    return HttpResponseRedirect(reverse(name, args=[course.pk]), status=303)


@require_POST
def lti_deep_link(request):
    """An instructor places courseproj in the LMS course: a signed response, posted back by the browser."""
    launch_id = request.session.pop(DEEP_LINK_SESSION_KEY, None)
    if not launch_id or not request.user.is_authenticated:
        return _refused(request, LaunchRefused("This placement expired. Start again from your LMS's content picker."))
    try:
        token, return_url = deep_link_response(
            request, launch_id=launch_id, title="courseproj", url=request.build_absolute_uri(reverse("lti_launch"))
        )
    except LaunchRefused as refusal:
        return _refused(request, refusal)
    response = render(request, "lti/deep_link_return.html", {"token": token, "return_url": return_url})
    response._csp_update = {"form-action": [return_url]}  # the form posts to the LMS, not to us
    return response


@require_GET
def lti_jwks(request):
    """The tool's public keys, for the LMS to verify service tokens and deep-linking responses."""
    return JsonResponse(Key.objects.as_jwks())


@require_GET
def lti_config(request):
    """What staff paste into Moodle or Canvas (Django staff only; others get a 404)."""
    if not request.user.is_staff:
        raise Http404
    urls = {name: request.build_absolute_uri(reverse(name)) for name in ("lti_login", "lti_launch", "lti_jwks")}
    return render(request, "lti/config.html", {"urls": urls, "has_key": Key.objects.active().exists()})


@login_required
@require_GET
def lti_course(request, course_id: int):
    """The course's LMS page: the link, the roster sync, the published circles' exports and push."""
    membership = get_staff_membership(request.user, course_id)
    course = membership.course
    link = selectors.course_link(course=course)
    run = selectors.published_run(course=course)
    context = {
        "membership": membership, "course": course, "link": link, "run": run,
        "sync": selectors.last_sync(link=link), "counts": selectors.roster_counts(link=link),
        "circles": selectors.lms_circles(run=run, link=link) if run else None,
    }
    return render(request, "lti/course.html", context)


@login_required
@require_POST
def lti_roster_sync(request, course_id: int):
    membership = get_staff_membership(request.user, course_id)
    link = selectors.course_link(course=membership.course)
    if link is None:
        raise Http404
    sync = services.roster_sync(link=link)
    if sync.error:
        messages.error(request, f"The roster could not be read: {sync.error}.")
    else:
        messages.success(request, f"Roster synced: {sync.members} people over {sync.pages} page{'s' if sync.pages != 1 else ''}, {sync.left} left the course.")
    return redirect("lti_course", course_id=course_id)


def _published(request, course_id: int, run_id: int, *, instructor: bool = False):
    get = get_instructor_membership if instructor else get_staff_membership
    membership = get(request.user, course_id)
    run = get_visible(MatchRun.objects.published().select_related("course"), membership, run_id)
    link = selectors.course_link(course=membership.course)
    return membership, run, link, selectors.lms_circles(run=run, link=link)


def _csv(text: str, filename: str) -> HttpResponse:
    return HttpResponse(text, content_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@login_required
@require_GET
def lti_export_canvas(request, course_id: int, run_id: int):
    _, run, _, circles = _published(request, course_id, run_id)
    return _csv(exports.canvas_groups_csv(circles), f"canvas-groups-run-{run.pk}.csv")


@login_required
@require_GET
def lti_export_moodle_groups(request, course_id: int, run_id: int):
    _, run, _, circles = _published(request, course_id, run_id)
    return _csv(exports.moodle_groups_csv(circles), f"moodle-groups-run-{run.pk}.csv")


@login_required
@require_GET
def lti_export_moodle_members(request, course_id: int, run_id: int):
    membership, run, link, circles = _published(request, course_id, run_id)
    shortname = (link.label if link else "") or membership.course.title
    return _csv(exports.moodle_members_csv(circles, course_shortname=shortname), f"moodle-members-run-{run.pk}.csv")


@login_required
@require_GET
def lti_canvas_preview(request, course_id: int, run_id: int):
    """What a push will make in Canvas, and the form that asks for the instructor's token."""
    membership, run, link, circles = _published(request, course_id, run_id, instructor=True)
    context = {"membership": membership, "course": membership.course, "run": run, "link": link, "circles": circles,
               "group_set": services.CANVAS_GROUP_SET, "form": CanvasPushForm(), "last": selectors.last_push(run=run)}
    return render(request, "lti/canvas_preview.html", context)


@sensitive_post_parameters("token")
@login_required
@require_POST
def lti_canvas_push(request, course_id: int, run_id: int):
    """Push the circles with the token typed into the preview; the token is used once and not kept."""
    membership, run, link, circles = _published(request, course_id, run_id, instructor=True)
    form = CanvasPushForm(request.POST)
    if link is None or not form.is_valid():
        messages.error(request, "Paste a Canvas access token to push." if link else "This course is not linked to an LMS course.")
        return redirect("lti_canvas_preview", course_id=course_id, run_id=run_id)
    done, pushed = call_service(request, services.canvas_push, run=run, link=link, circles=circles.for_push(),
                                token=form.cleaned_data["token"], user=request.user)
    if done:
        record, report = pushed
        messages.success(request, f"Pushed to Canvas: {record.created_groups} groups created, {record.added} members added, {record.removed} removed.")
        if report.not_found:
            messages.warning(request, f"Canvas does not know {len(report.not_found)} of the students; they were not placed.")
    return redirect("lti_canvas_preview", course_id=course_id, run_id=run_id)
