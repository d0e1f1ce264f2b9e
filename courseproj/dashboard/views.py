"""The instructor dashboard: one page of who is stuck, a page per student, reminders and the CSV export."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from courseproj.courses.access import get_staff_membership, get_visible
from courseproj.courses.exports import to_csv
from courseproj.courses.models import Membership
from courseproj.courses.web import call_service, join_url
from courseproj.dashboard.forms import DashboardFilterForm, RemindForm
from courseproj.dashboard.selectors.export import export_rows
from courseproj.dashboard.selectors.inbox import review_inbox
from courseproj.dashboard.selectors.overview import LISTS, dashboard, filter_rows
from courseproj.dashboard.selectors.student import student_overview
from courseproj.planner import services as planner
from courseproj.planner.models import ProjectAssignment

ROWS_PER_PAGE = 100
# A second click on "remind" within this many seconds sends nothing.
REMIND_AGAIN_AFTER = 120


def _assignment(membership, value) -> ProjectAssignment | None:
    """The assignment named in the query string, else the course's latest one."""
    try:
        return get_visible(ProjectAssignment.objects, membership, int(value))
    except (TypeError, ValueError):
        return ProjectAssignment.objects.filter(course=membership.course).first()


@login_required
def dashboard_page(request, course_id: int):
    """The whole dashboard; an htmx request (the filters) gets the student table only."""
    membership = get_staff_membership(request.user, course_id)
    assignment = _assignment(membership, request.GET.get("assignment"))
    board = dashboard(course=membership.course, assignment=assignment)
    form = DashboardFilterForm(
        request.GET or None, lists=LISTS if assignment else {k: v for k, v in LISTS.items() if k in ("not_ranked", "alone")},
        datasets=[line.dataset for line in board.datasets],
    )
    rows = board.rows
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        rows = filter_rows(rows, q=data["q"], list_name=data["list"], dataset_id=data["dataset"])
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # The review inbox spans every assignment unless one is chosen.
    chosen = assignment if request.GET.get("assignment") else None
    context = {"membership": membership, "course": membership.course, "board": board, "form": form,
               "page": page, "matches": len(rows), "query": query.urlencode(), "lists": LISTS,
               "filter_hidden": [("assignment", assignment.pk)] if assignment else [],
               "inbox": review_inbox(course=membership.course, assignment=chosen), "inbox_assignment": chosen}
    template = "dashboard/_students.html" if request.htmx else "dashboard/dashboard.html"
    return render(request, template, context)


@login_required
def dashboard_student(request, course_id: int, member_id: int):
    membership = get_staff_membership(request.user, course_id)
    member = get_visible(Membership.objects.select_related("user"), membership, member_id)
    overview = student_overview(course=membership.course, member=member)
    return render(request, "dashboard/student.html",
                  {"membership": membership, "course": membership.course, "member": member, "overview": overview})


def _recipients(request, course, board, list_name: str) -> list[planner.Recipient]:
    if list_name == "not_joined":
        link = join_url(request, course)
        return [planner.Recipient(e.email, e.name, link) for e in board.not_joined]
    target = "interests" if list_name == "not_ranked" else "assignments"
    link = request.build_absolute_uri(reverse(target, args=[course.pk]))
    return [planner.Recipient(r.email, r.membership.user.name, link) for r in board.in_list(list_name)]


@login_required
@require_POST
def dashboard_remind(request, course_id: int):
    """Email the stragglers of one list; the same list again within two minutes is a no-op (double-click)."""
    membership = get_staff_membership(request.user, course_id)
    course = membership.course
    form = RemindForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose which list to remind.")
        return redirect("dashboard", course_id=course_id)
    list_name = form.cleaned_data["list"]
    assignment = _assignment(membership, form.cleaned_data["assignment"])
    back = f"{reverse('dashboard', args=[course_id])}?assignment={assignment.pk}" if assignment else reverse("dashboard", args=[course_id])
    if list_name in ("no_plan", "changes_requested") and assignment is None:
        messages.error(request, "Create a project assignment first: there are no plans to remind about.")
        return redirect(back)
    board = dashboard(course=course, assignment=assignment)
    recipients = _recipients(request, course, board, list_name)
    if not recipients:
        messages.info(request, "Nobody is on that list: no email sent.")
        return redirect(back)
    key = f"remind:{course.pk}:{assignment.pk if assignment else 0}:{list_name}"
    if not cache.add(key, True, REMIND_AGAIN_AFTER):
        messages.info(request, "That list was reminded a moment ago; no second email was sent.")
        return redirect(back)
    done, queued = call_service(request, planner.stragglers_remind, course=course, list_name=list_name,
                                recipients=recipients, assignment=assignment)
    if not done:
        cache.delete(key)
        return redirect(back)
    messages.success(request, f"Reminder on its way to {queued} {'person' if queued == 1 else 'people'}.")
    return redirect(back)


@login_required
def dashboard_export(request, course_id: int):
    """Choices, circles and plan status as CSV; formula-like cells are neutralised."""
    membership = get_staff_membership(request.user, course_id)
    assignment = _assignment(membership, request.GET.get("assignment"))
    # A byte-order mark so that Excel reads the UTF-8 names correctly.
    body = "\ufeff" + to_csv(export_rows(course=membership.course, assignment=assignment))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="course-{course_id}-choices.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
