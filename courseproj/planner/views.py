"""Pages of the planner: assignments, the choice menu, a student's plan and its review."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from courseproj.courses.access import (
    get_instructor_membership,
    get_membership,
    get_staff_membership,
    get_visible,
    require_owner,
)
from courseproj.courses.web import call_service
from courseproj.planner import services as planner
from courseproj.planner.forms import AssignmentForm, CommentForm, MenuForm, MilestoneForm, PicksForm, PlanForm, ReviewForm
from courseproj.planner.models import ChoiceMenu, Plan, PlanMilestone, ProjectAssignment
from courseproj.planner.selectors import pick_tally, plan_page, tally_chart
from datasets.models import Dataset


def _get_assignment(membership, assignment_id: int) -> ProjectAssignment:
    return get_visible(ProjectAssignment.objects, membership, assignment_id)


def _get_plan(membership, plan_id: int) -> Plan:
    return get_visible(Plan.objects.select_related("assignment", "student", "dataset"), membership, plan_id)


def _get_own_plan(membership, plan_id: int) -> Plan:
    """A plan its student changes: a classmate gets 404 (like for every plan URL), staff 403."""
    plan = _get_plan(membership, plan_id)
    require_owner(plan, membership)
    return plan


@login_required
def assignments(request, course_id: int):
    """Staff: the course's assignments. Students: their plan for each."""
    membership = get_membership(request.user, course_id)
    course = membership.course
    items = list(course.project_assignments.select_related("menu"))
    plans = {p.assignment_id: p for p in Plan.objects.filter(assignment__course=course, student=request.user)}
    return render(request, "planner/assignments.html", {
        "membership": membership, "course": course, "items": [(a, plans.get(a.pk)) for a in items],
    })


@login_required
def assignment_create(request, course_id: int):
    membership = get_instructor_membership(request.user, course_id)
    form = AssignmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assignment = planner.assignment_create(
            course=membership.course, title=data["title"], instructions=data["instructions"],
            launch_on=data["launch_on"], checkin_on=data["checkin_on"], due_on=data["due_on"],
            plan_fields=data["plan_fields_text"], needs_dataset=data["needs_dataset"],
        )
        messages.success(request, f"“{assignment.title}” created. Students can start their plans.")
        return redirect("assignment_detail", course_id=course_id, assignment_id=assignment.pk)
    return render(request, "planner/assignment_form.html", {"membership": membership, "course": membership.course, "form": form})


@login_required
def assignment_edit(request, course_id: int, assignment_id: int):
    membership = get_instructor_membership(request.user, course_id)
    assignment = _get_assignment(membership, assignment_id)
    form = AssignmentForm(request.POST or None, instance=assignment)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        planner.assignment_update(
            assignment=assignment, title=data["title"], instructions=data["instructions"],
            launch_on=data["launch_on"], checkin_on=data["checkin_on"], due_on=data["due_on"],
            plan_fields=data["plan_fields_text"], needs_dataset=data["needs_dataset"],
        )
        messages.success(request, "Assignment saved.")
        return redirect("assignment_detail", course_id=course_id, assignment_id=assignment.pk)
    return render(request, "planner/assignment_form.html",
                  {"membership": membership, "course": membership.course, "form": form, "assignment": assignment})


@login_required
def assignment_detail(request, course_id: int, assignment_id: int):
    """Staff: the assignment's settings, its menu, and who picked what and how often."""
    membership = get_staff_membership(request.user, course_id)
    assignment = _get_assignment(membership, assignment_id)
    tallies, alternative = pick_tally(assignment=assignment)
    return render(request, "planner/assignment_detail.html", {
        "membership": membership, "course": membership.course, "assignment": assignment,
        "menu": ChoiceMenu.objects.filter(assignment=assignment).first(), "tallies": tallies,
        "tally_chart": tally_chart(tallies), "alternative": alternative,
        "plans": assignment.plans.count(),
    })


@login_required
def menu_edit(request, course_id: int, assignment_id: int):
    membership = get_instructor_membership(request.user, course_id)
    assignment = _get_assignment(membership, assignment_id)
    menu = ChoiceMenu.objects.filter(assignment=assignment).first()
    form = MenuForm(request.POST or None, instance=menu,
                    initial={"outline": planner.menu_outline(menu)} if menu else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            planner.menu_save(
                assignment=assignment, outline=data["outline"], pick_count=data["pick_count"],
                distinct_categories=data["distinct_categories"], alternative_label=data["alternative_label"],
                alternative_url=data["alternative_url"], instructions=data["instructions"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Choice menu saved.")
            return redirect("assignment_detail", course_id=course_id, assignment_id=assignment.pk)
    return render(request, "planner/menu_form.html",
                  {"membership": membership, "course": membership.course, "assignment": assignment, "form": form})


@login_required
@require_POST
def plan_start(request, course_id: int, assignment_id: int):
    membership = get_membership(request.user, course_id)
    assignment = _get_assignment(membership, assignment_id)
    if membership.is_staff_role:
        messages.info(request, "Plans are written by students; you review them from the dashboard.")
        return redirect("assignment_detail", course_id=course_id, assignment_id=assignment.pk)
    plan, _ = planner.plan_start(membership=membership, assignment=assignment)
    return redirect("plan_detail", course_id=course_id, plan_id=plan.pk)


def _plan_forms(membership, plan, page, data=None) -> dict:
    """The plan's form (answers, and the dataset when chosen directly) and its choices form."""
    datasets = None
    if plan.assignment.needs_dataset and not page.matched:
        datasets = Dataset.objects.visible_to(membership).in_catalog()
    plan_form = PlanForm(data, labels=plan.assignment.plan_fields, datasets=datasets, initial={
        "dataset": plan.dataset_id, **{f"answer_{i}": answer for i, (_, answer) in enumerate(page.answers)},
    })
    options = [o for c in page.categories for o in c.options.all()]
    picks_form = PicksForm(data, options=options, initial={
        "track": "alternative" if plan.takes_alternative else "menu",
        **{f"option_{pk}": True for pk in page.picks},
        **{f"reflection_{pk}": p.reflection for pk, p in page.picks.items()},
    })
    return {"plan_form": plan_form, "picks_form": picks_form}


def _render_plan(request, membership, plan, page=None, forms=None):
    page = page or plan_page(plan=plan, viewer=membership)
    # Bound forms with errors keep what the student typed; the page answers 200 with the messages.
    forms = forms or _plan_forms(membership, plan, page)
    return render(request, "planner/plan.html", {
        "membership": membership, "course": membership.course, "plan": plan, "assignment": plan.assignment,
        "page": page, "is_owner": plan.student_id == request.user.pk, **forms,
        "picks_grouped": forms["picks_form"].grouped(page.categories),
        "milestone_form": MilestoneForm(), "comment_form": CommentForm(), "review_form": ReviewForm(),
    })


@login_required
def plan_detail(request, course_id: int, plan_id: int):
    """The plan page; the owner's POST saves answers and choices as a draft."""
    membership = get_membership(request.user, course_id)
    if request.method != "POST":
        return _render_plan(request, membership, _get_plan(membership, plan_id))
    plan = _get_own_plan(membership, plan_id)
    saved = _plan_save(request, membership, plan)
    if not isinstance(saved, list):
        return saved  # the page again, with the form's errors
    messages.success(request, "Plan saved as a draft.")
    for problem in saved:
        messages.warning(request, f"Your choices do not meet the rule yet: {problem}")
    return redirect("plan_detail", course_id=course_id, plan_id=plan.pk)


@login_required
@require_POST
def plan_submit(request, course_id: int, plan_id: int):
    """The owner's "Submit": save what the form holds, then ask for approval."""
    membership = get_membership(request.user, course_id)
    plan = _get_own_plan(membership, plan_id)
    saved = _plan_save(request, membership, plan)
    if not isinstance(saved, list):
        return saved
    try:
        planner.plan_submit(plan=plan, by=membership)
    except ValidationError as error:
        messages.warning(request, "Plan saved, but not submitted yet:")
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, "Plan submitted. Your instructor will approve it or ask for changes.")
    return redirect("plan_detail", course_id=course_id, plan_id=plan.pk)


def _plan_save(request, membership, plan):
    """Save the posted plan: the rule's complaints (a list), or a response to return instead."""
    page = plan_page(plan=plan, viewer=membership)
    forms = _plan_forms(membership, plan, page, data=request.POST)
    plan_form, picks_form = forms["plan_form"], forms["picks_form"]
    if not (plan_form.is_valid() and picks_form.is_valid()):
        messages.error(request, "Nothing was saved: see the messages next to the fields.")
        return _render_plan(request, membership, plan, page, forms)
    dataset = plan_form.cleaned_data.get("dataset")
    picks = planner.Picks(picks_form.picked(), picks_form.reflections(),
                          picks_form.cleaned_data["track"] == "alternative") if page.menu else None
    ok, problems = call_service(request, planner.plan_save, plan=plan, by=membership, answers=plan_form.answers(),
                                dataset_id=dataset.pk if dataset else None, picks=picks)
    return problems if ok else redirect("plan_detail", course_id=membership.course_id, plan_id=plan.pk)


@login_required
@require_POST
def milestone_add(request, course_id: int, plan_id: int):
    membership = get_membership(request.user, course_id)
    plan = _get_own_plan(membership, plan_id)
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the milestone a title and a date.")
    elif call_service(request, planner.plan_milestone_add, plan=plan, by=membership, **form.cleaned_data)[0]:
        messages.success(request, "Milestone added.")
    return redirect("plan_detail", course_id=course_id, plan_id=plan.pk)


@login_required
@require_POST
def milestone_remove(request, course_id: int, plan_id: int, milestone_id: int):
    membership = get_membership(request.user, course_id)
    plan = _get_own_plan(membership, plan_id)
    milestone = get_visible(PlanMilestone.objects.filter(plan=plan), membership, milestone_id)
    if call_service(request, planner.plan_milestone_remove, plan=plan, by=membership, milestone=milestone)[0]:
        messages.success(request, f"Milestone “{milestone.title}” removed.")
    return redirect("plan_detail", course_id=course_id, plan_id=plan.pk)


@login_required
@require_POST
def plan_comment(request, course_id: int, plan_id: int):
    membership = get_membership(request.user, course_id)
    plan = _get_plan(membership, plan_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a comment (at most 5,000 characters) first.")
    else:
        planner.plan_comment_add(plan=plan, by=membership, body=form.cleaned_data["body"])
        messages.success(request, "Comment added.")
    return redirect(f"{_plan_url(course_id, plan.pk)}#thread")


def _staff_plan(request, course_id: int, plan_id: int):
    """A plan staff decide on. Looked up first, so a classmate gets 404 as for every plan URL, not 403."""
    membership = get_membership(request.user, course_id)
    plan = _get_plan(membership, plan_id)
    return get_staff_membership(request.user, course_id), plan


@login_required
@require_POST
def plan_approve(request, course_id: int, plan_id: int):
    membership, plan = _staff_plan(request, course_id, plan_id)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    if call_service(request, planner.plan_approve, plan=plan, by=membership, comment=comment)[0]:
        messages.success(request, f"{plan.student.display_name}'s plan is approved.")
    return redirect("plan_detail", course_id=course_id, plan_id=plan.pk)


@login_required
@require_POST
def plan_request_changes(request, course_id: int, plan_id: int):
    """Send the plan back with a comment saying what to change."""
    membership, plan = _staff_plan(request, course_id, plan_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["comment"]))
    elif call_service(request, planner.plan_request_changes, plan=plan, by=membership,
                      comment=form.cleaned_data["comment"])[0]:
        messages.success(request, f"Changes requested from {plan.student.display_name}.")
    return redirect("plan_detail", course_id=course_id, plan_id=plan.pk)


def _plan_url(course_id: int, plan_id: int) -> str:
    return reverse("plan_detail", kwargs={"course_id": course_id, "plan_id": plan_id})
