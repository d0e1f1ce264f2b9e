"""The plan's state machine: draft → submitted → approved / changes requested, and who may move it."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from courseproj.planner import services as planner
from courseproj.courses.models import Membership
from courseproj.planner.models import Plan, PlanComment, PlanStatus
from tests import factories

ANSWERS = {label: f"My answer about {label.lower()}." for label in factories.ProjectAssignmentFactory._meta.model().plan_fields}


def member(course, user) -> Membership:
    return Membership.objects.select_related("course", "user").get(course=course, user=user)


@pytest.fixture
def plan(assignment, student, dataset):
    return factories.PlanFactory(assignment=assignment, student=student, dataset=dataset, answers=ANSWERS)


@pytest.fixture
def ta(course):
    return factories.MembershipFactory(course=course, role="ta", user__name="Tom TA").user


def submit(client, plan):
    data = {f"answer_{i}": ANSWERS[label] for i, label in enumerate(plan.assignment.plan_fields)}
    return client.post(reverse("plan_submit", args=[plan.assignment.course_id, plan.pk]),
                       {**data, "dataset": plan.dataset_id}, follow=True)


def review(client, plan, decision, comment=""):
    name = "plan_approve" if decision == "approve" else "plan_request_changes"
    return client.post(reverse(name, args=[plan.assignment.course_id, plan.pk]), {"comment": comment}, follow=True)


def test_student_submits_instructor_requests_changes_student_resubmits_instructor_approves(
    client_for, course, student, instructor, plan
):
    assert "Plan submitted" in submit(client_for(student), plan).content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED and plan.submitted_at

    html = review(client_for(instructor), plan, "changes", "Name the metric that matters.").content.decode()
    assert "Changes requested from Sam Student" in html
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CHANGES_REQUESTED

    submit(client_for(student), plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED

    review(client_for(instructor), plan, "approve", "Good plan.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.decided_at
    events = list(PlanComment.objects.filter(plan=plan).values_list("event", "body"))
    assert events == [("submitted", ""), ("changes_requested", "Name the metric that matters."),
                      ("submitted", ""), ("approved", "Good plan.")]


def test_a_ta_may_approve(client_for, course, ta, plan, student):
    planner.plan_submit(plan=plan, by=member(course, student))
    review(client_for(ta), plan, "approve")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_student_cannot_approve_their_own_plan(client_for, course, student, plan):
    planner.plan_submit(plan=plan, by=member(course, student))
    for name in ("plan_approve", "plan_request_changes"):
        response = client_for(student).post(reverse(name, args=[course.pk, plan.pk]), {"comment": "Great!"})
        assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("name", ["plan_detail", "plan_submit", "milestone_add"])
def test_staff_cannot_change_or_submit_a_students_plan(client_for, course, instructor, plan, name):
    data = {f"answer_{i}": "Staff words." for i, _ in enumerate(plan.assignment.plan_fields)}
    response = client_for(instructor).post(reverse(name, args=[course.pk, plan.pk]), data)
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and "Staff words." not in plan.answers.values()


def test_a_draft_cannot_be_approved_or_sent_back(course, instructor, plan):
    staff = member(course, instructor)
    with pytest.raises(ValidationError, match="draft"):
        planner.plan_approve(plan=plan, by=staff)
    with pytest.raises(ValidationError, match="draft"):
        planner.plan_request_changes(plan=plan, by=staff, comment="Why?")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert not PlanComment.objects.exists()


def test_an_approved_plan_can_be_sent_back_but_not_approved_twice(course, instructor, student, plan):
    staff = member(course, instructor)
    planner.plan_submit(plan=plan, by=member(course, student))
    planner.plan_approve(plan=plan, by=staff)
    with pytest.raises(ValidationError):
        planner.plan_approve(plan=plan, by=staff)
    planner.plan_request_changes(plan=plan, by=staff, comment="On second thought: add a risk.")
    assert plan.status == PlanStatus.CHANGES_REQUESTED


def test_request_changes_needs_a_comment(client_for, course, instructor, student, plan):
    planner.plan_submit(plan=plan, by=member(course, student))
    html = review(client_for(instructor), plan, "changes", "   ").content.decode()
    assert "Say what should change" in html
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_double_submit_moves_once_and_says_so(client_for, student, plan):
    client = client_for(student)
    submit(client, plan)
    html = submit(client, plan).content.decode()
    assert "waiting for approval" in html
    assert PlanComment.objects.filter(plan=plan, event="submitted").count() == 1


def test_submitted_plan_cannot_be_edited(client_for, course, student, plan):
    planner.plan_submit(plan=plan, by=member(course, student))
    with pytest.raises(ValidationError, match="waiting for approval"):
        planner.plan_save(plan=plan, by=member(course, student), answers={"Application": "changed"}, dataset_id=None)
    plan.refresh_from_db()
    assert plan.answers == ANSWERS


def test_submit_lists_everything_missing_and_keeps_the_draft(client_for, course, student, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student)
    response = client_for(student).post(reverse("plan_submit", args=[course.pk, plan.pk]),
                                        {"answer_0": "Sort flowers for a florist."}, follow=True)
    html = response.content.decode()
    assert "Plan saved, but not submitted yet" in html
    assert "Choose your dataset." in html and "Answer “Iteration plan”." in html
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.answers["Application"] == "Sort flowers for a florist."


# --- nobody else reads or changes a plan ---

PLAN_URLS = ["plan_detail", "plan_submit", "milestone_add", "plan_comment", "plan_approve", "plan_request_changes"]


@pytest.mark.parametrize("name", PLAN_URLS)
def test_classmate_gets_404_for_someone_elses_plan(client_for, course, classmate, plan, name):
    client = client_for(classmate)
    url = reverse(name, args=[course.pk, plan.pk])
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"answer_0": "hijacked", "body": "hi", "decision": "approve"}).status_code == 404
    plan.refresh_from_db()
    assert plan.answers == ANSWERS and plan.status == PlanStatus.DRAFT
    assert not PlanComment.objects.exists()


@pytest.mark.parametrize("name", PLAN_URLS)
@pytest.mark.reliability(30)
def test_outsider_gets_404_for_a_plan(client_for, course, outsider, plan, name):
    url = reverse(name, args=[course.pk, plan.pk])
    assert client_for(outsider).post(url, {"decision": "approve"}).status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_classmate_cannot_remove_someone_elses_milestone(client_for, course, classmate, plan):
    milestone = factories.PlanMilestoneFactory(plan=plan)
    url = reverse("milestone_remove", args=[course.pk, plan.pk, milestone.pk])
    assert client_for(classmate).post(url).status_code == 404
    assert plan.milestones.count() == 1


def test_a_plan_id_from_another_course_is_404_even_for_its_instructor(client_for, outsider, plan):
    other_course = Membership.objects.get(user=outsider).course_id
    assert client_for(outsider).get(reverse("plan_detail", args=[other_course, plan.pk])).status_code == 404


def test_start_twice_makes_one_plan(client_for, course, student, assignment):
    client = client_for(student)
    url = reverse("plan_start", args=[course.pk, assignment.pk])
    first, second = client.post(url), client.post(url)
    assert first["Location"] == second["Location"]
    assert Plan.objects.filter(student=student).count() == 1
