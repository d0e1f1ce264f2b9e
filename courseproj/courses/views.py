from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseproj.courses import limits, services
from courseproj.courses.access import get_instructor_membership, get_membership, get_staff_membership, get_visible
from courseproj.courses.adapter import PENDING_JOIN_SESSION_KEY
from courseproj.courses.forms import CourseCreateForm, CourseSettingsForm, JoinForm, NameForm, RoleForm, RosterImportForm
from courseproj.courses.models import Course, Membership, Role
from courseproj.courses.selectors import course_next_steps, roster_not_joined
from courseproj.courses.web import call_service, join_url, qr_svg_response

# Someone without a name is asked for one once per session, then left alone.
NAME_ASKED_SESSION_KEY = "name_asked"


def home(request):
    if not request.user.is_authenticated:
        return render(request, "home_anonymous.html")
    if not request.user.name and not request.session.get(NAME_ASKED_SESSION_KEY):
        request.session[NAME_ASKED_SESSION_KEY] = True
        return redirect("account_name")
    pending = request.session.pop(PENDING_JOIN_SESSION_KEY, None)
    if pending:
        return redirect("join_link", code=pending)
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("course")
        .annotate(members=Count("course__memberships"))
        .order_by("-course__created_at")
    )
    return render(
        request,
        "courseproj/home.html",
        {"memberships": memberships, "create_form": CourseCreateForm(), "join_form": JoinForm()},
    )


@login_required
def account_name(request):
    """What every page calls you; home comes next (and a join link you followed)."""
    form = NameForm(request.POST or None, initial={"name": request.user.name})
    if request.method == "POST" and form.is_valid():
        services.user_set_name(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Saved. Pages show you as {request.user.name}.")
        return redirect("home")
    return render(request, "courseproj/account_name.html", {"form": form})


@login_required
@require_POST
def course_create(request):
    form = CourseCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the course a title.")
        return redirect("home")
    course = services.course_create(user=request.user, title=form.cleaned_data["title"])
    messages.success(request, f"Course created. Share the join code {course.join_code} with your students.")
    return redirect("course_detail", course_id=course.pk)


def _join_limits(request) -> list[tuple[limits.Limit, str]]:
    """The wrong-join-code limits that apply: the address's, and the user's when signed in."""
    applying = [(limits.JOIN_WRONG_PER_ADDRESS, limits.client_address(request))]
    if request.user.is_authenticated:
        applying.append((limits.JOIN_WRONG_PER_USER, f"user-{request.user.pk}"))
    return applying


def _join_refused(request) -> bool:
    """Too many wrong codes: say which limit, and look no code up (a right guess must not show)."""
    reached = [limit for limit, who in _join_limits(request) if limit.reached(who=who)]
    if reached:
        messages.error(request, reached[0].message)
    return bool(reached)


def _wrong_code(request, message: str) -> None:
    for limit, who in _join_limits(request):
        limit.count(who=who)
    messages.error(request, message)


def _join(request, code: str):
    if _join_refused(request):
        return redirect("home")
    try:
        membership, created = services.course_join(user=request.user, code=code)
    except Course.DoesNotExist:
        _wrong_code(request, "No course has that join code. Check the code and try again.")
        return redirect("home")
    if created:
        messages.success(request, f"Welcome to {membership.course}! Rank the datasets you would like to work on.")
    else:
        messages.info(request, f"You are already in {membership.course}.")
    if membership.is_staff_role:
        return redirect("course_detail", course_id=membership.course_id)
    return redirect("interests", course_id=membership.course_id)


@login_required
@require_POST
def join_by_code(request):
    form = JoinForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the join code your instructor showed.")
        return redirect("home")
    return _join(request, form.cleaned_data["code"])


def join_link(request, code: str):
    """The link and QR code lead here; a visitor signs up or logs in first, then lands back."""
    if _join_refused(request):
        return redirect("home" if request.user.is_authenticated else "account_login")
    course = Course.objects.filter(join_code=code.upper()).first()
    if not request.user.is_authenticated:
        if course is None:
            _wrong_code(request, "This join link is not valid any more. Ask your instructor for the new one.")
            return redirect("account_login")
        request.session[PENDING_JOIN_SESSION_KEY] = course.join_code
        messages.info(request, f"Sign up or log in to join {course}.")
        return redirect("account_signup")
    if request.method == "POST":
        return _join(request, code)
    if course is None:
        _wrong_code(request, "This join link is not valid any more. Ask your instructor for the new one.")
        return redirect("home")
    if Membership.objects.filter(course=course, user=request.user).exists():
        return _join(request, code)
    return render(request, "courseproj/join.html", {"course": course})


@login_required
def course_detail(request, course_id: int):
    membership = get_membership(request.user, course_id)
    course = membership.course
    context = {"membership": membership, "course": course}
    if membership.is_staff_role:
        students = course.memberships.students()
        context.update(
            join_url=join_url(request, course),
            student_count=students.count(),
            ranked_count=students.filter(user__interests__course=course).values("user").distinct().count(),
            roster_count=course.roster.count(),
            proposed_count=course.datasets.filter(status="proposed").count(),
            next_steps=course_next_steps(course=course),
        )
    return render(request, "courseproj/course_detail.html", context)


@login_required
def course_qr(request, course_id: int):
    membership = get_staff_membership(request.user, course_id)
    return qr_svg_response(join_url(request, membership.course))


@login_required
def course_settings(request, course_id: int):
    membership = get_instructor_membership(request.user, course_id)
    form = CourseSettingsForm(request.POST or None, instance=membership.course)
    if request.method == "POST" and form.is_valid():
        services.course_update(course=membership.course, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("course_settings", course_id=course_id)
    return render(request, "courseproj/course_settings.html", {"membership": membership, "course": membership.course, "form": form})


@login_required
@require_POST
def course_regenerate_code(request, course_id: int):
    membership = get_instructor_membership(request.user, course_id)
    course = services.course_regenerate_code(course=membership.course)
    messages.success(request, f"New join code: {course.join_code}. The old code and link no longer work.")
    return redirect("course_detail", course_id=course_id)


@login_required
def members(request, course_id: int):
    membership = get_staff_membership(request.user, course_id)
    course = membership.course
    member_list = course.memberships.select_related("user").order_by("role", "user__name", "user__email")
    return render(
        request,
        "courseproj/members.html",
        {
            "membership": membership,
            "course": course,
            "members": member_list,
            "not_joined": roster_not_joined(course=course),
            "import_form": RosterImportForm(),
            "roles": Role.choices,
        },
    )


@login_required
@require_POST
def roster_import(request, course_id: int):
    membership = get_instructor_membership(request.user, course_id)
    form = RosterImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", ["Choose a CSV file."]):
            messages.error(request, error)
        return redirect("members", course_id=course_id)
    done, report = call_service(request, services.roster_import, course=membership.course,
                                data=form.cleaned_data["file"].read())
    if not done:
        return redirect("members", course_id=course_id)
    messages.success(request, f"Roster imported: {report.added} added, {report.updated} updated.")
    for line in report.errors[:20]:
        messages.warning(request, line)
    if len(report.errors) > 20:
        messages.warning(request, f"… and {len(report.errors) - 20} more lines with problems.")
    return redirect("members", course_id=course_id)


@login_required
@require_POST
def member_remove(request, course_id: int, member_id: int):
    membership = get_instructor_membership(request.user, course_id)
    member = get_visible(Membership.objects.select_related("user"), membership, member_id)
    if call_service(request, services.membership_remove, membership=member)[0]:
        messages.success(request, f"{member.user} was removed from the course.")
    return redirect("members", course_id=course_id)


@login_required
@require_POST
def member_set_role(request, course_id: int, member_id: int):
    membership = get_instructor_membership(request.user, course_id)
    member = get_visible(Membership.objects.select_related("user"), membership, member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role.")
        return redirect("members", course_id=course_id)
    if call_service(request, services.membership_set_role, membership=member, role=form.cleaned_data["role"])[0]:
        messages.success(request, f"{member.user} is now {member.get_role_display()}.")
    return redirect("members", course_id=course_id)
