"""One review inbox: plans waiting for approval of every assignment, filterable by assignment (issue 11, item 8)."""
from django.urls import reverse

from courseproj.dashboard.selectors.inbox import review_inbox
from courseproj.planner.models import PlanStatus
from tests import factories


def test_the_dashboard_shows_waiting_plans_of_every_assignment_by_default(
    client_for, course, instructor, student, classmate, assignment
):
    older = assignment
    newer = factories.ProjectAssignmentFactory(course=course, title="Homework 10")
    factories.PlanFactory(assignment=older, student=student, status=PlanStatus.SUBMITTED)
    factories.PlanFactory(assignment=newer, student=classmate, status=PlanStatus.SUBMITTED)
    factories.PlanFactory(assignment=newer, student=factories.MembershipFactory(course=course).user)  # a draft
    html = client_for(instructor).get(reverse("dashboard", args=[course.pk])).content.decode()
    assert "Plans waiting for approval (2)" in html
    assert "Sam Student</a> <span class=\"muted\">· Small-data mini-project" in html
    assert "Cleo Classmate</a> <span class=\"muted\">· Homework 10" in html
    assert '<dt>Waiting for approval</dt><dd><a href="#inbox-heading">2</a>' in html


def test_the_inbox_can_be_narrowed_to_one_assignment(client_for, course, instructor, student, classmate, assignment):
    newer = factories.ProjectAssignmentFactory(course=course, title="Homework 10")
    factories.PlanFactory(assignment=assignment, student=student, status=PlanStatus.SUBMITTED)
    factories.PlanFactory(assignment=newer, student=classmate, status=PlanStatus.SUBMITTED)
    url = reverse("dashboard", args=[course.pk]) + f"?assignment={assignment.pk}"
    html = client_for(instructor).get(url).content.decode()
    assert "Plans waiting for approval (1)" in html and "Of Small-data mini-project only." in html
    assert "Cleo Classmate</a> <span class=\"muted\">· Homework 10" not in html


def test_plans_of_people_who_left_or_of_other_courses_stay_out(course, student, assignment, outsider):
    factories.PlanFactory(assignment=assignment, student=student, status=PlanStatus.SUBMITTED)
    factories.PlanFactory(assignment=assignment, student=factories.UserFactory(), status=PlanStatus.SUBMITTED)
    foreign = factories.ProjectAssignmentFactory(course=outsider.memberships.get().course)
    factories.PlanFactory(assignment=foreign, student=outsider, status=PlanStatus.SUBMITTED)
    assert [p.student for p in review_inbox(course=course)] == ["Sam Student"]


def test_outsider_gets_404_for_the_inbox(client_for, course, outsider):
    assert client_for(outsider).get(reverse("dashboard", args=[course.pk])).status_code == 404
