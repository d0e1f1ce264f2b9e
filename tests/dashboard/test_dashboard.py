"""The instructor dashboard: who is stuck, what was chosen, reminders, a page per student."""
from unittest.mock import patch

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseproj.planner import services as planner
from courseproj.dashboard.selectors.overview import dashboard
from courseproj.courses.models import Membership, RosterEntry
from courseproj.planner.models import ChoiceOption, PlanStatus
from matching.models import MatchRun
from tests import factories


def url(course, **query):
    base = reverse("dashboard", args=[course.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def wine(course):
    return factories.DatasetFactory(course=course, title="Wine")


def test_students_get_403_and_outsiders_404(client_for, course, student, outsider):
    assert client_for(student).get(url(course)).status_code == 403
    assert client_for(outsider).get(url(course)).status_code == 404


def test_counts_and_lists_from_interests_when_nothing_is_published(course, student, classmate, dataset, wine, assignment):
    third = factories.MembershipFactory(course=course, user__name="Nia Notranked").user
    RosterEntry.objects.create(course=course, email="late@example.com", name="Lou Late")
    RosterEntry.objects.create(course=course, email=student.email.upper(), name="Sam on the roster")
    ta = factories.MembershipFactory(course=course, role="ta").user
    RosterEntry.objects.create(course=course, email=ta.email, name="A TA on the roster")
    factories.InterestFactory(dataset=dataset, student=student, rank=1)
    factories.InterestFactory(dataset=wine, student=classmate, rank=1)
    factories.InterestFactory(dataset=dataset, student=classmate, rank=2)
    factories.PlanFactory(assignment=assignment, student=student, status=PlanStatus.SUBMITTED, dataset=dataset)

    board = dashboard(course=course, assignment=assignment)

    assert [e.email for e in board.not_joined] == ["late@example.com"]
    assert [r.name for r in board.in_list("not_ranked")] == [third.display_name]
    # A dataset only they ranked first: both ranked students are alone.
    assert {r.name for r in board.in_list("alone")} == {"Sam Student", "Cleo Classmate"}
    assert {r.name for r in board.in_list("no_plan")} == {"Cleo Classmate", third.display_name}
    assert [r.name for r in board.in_list("waiting")] == ["Sam Student"]
    assert board.counts == {"students": 3, "not_joined": 1, "not_ranked": 1, "no_plan": 2, "alone": 2,
                            "waiting": 1, "changes_requested": 0, "approved": 0}


def test_alone_comes_from_the_published_matching_when_there_is_one(course, student, classmate, dataset, wine):
    third = factories.MembershipFactory(course=course, user__name="Tia Third").user
    for user in (student, classmate, third):
        factories.InterestFactory(dataset=dataset, student=user, rank=1)
    factories.published_run(course=course, assignments={student: dataset, classmate: dataset, third: wine})
    board = dashboard(course=course, assignment=None)
    assert [r.name for r in board.in_list("alone")] == ["Tia Third"]
    sam = next(r for r in board.rows if r.name == "Sam Student")
    assert sam.circle == ["Cleo Classmate"] and sam.dataset == dataset
    assert board.source == "the published matching"


def test_a_plan_that_names_a_dataset_counts_when_the_course_runs_no_matching(course, student, classmate, dataset, wine, assignment):
    factories.InterestFactory(dataset=wine, student=student, rank=1)
    factories.InterestFactory(dataset=dataset, student=classmate, rank=1)
    factories.PlanFactory(assignment=assignment, student=student, dataset=dataset)
    board = dashboard(course=course, assignment=assignment)
    assert not board.in_list("alone")
    assert [(line.dataset.title, line.students) for line in board.datasets] == [("Iris flowers", 2)]


def test_page_shows_chart_jobs_baselines_and_waiting_plans(client_for, course, instructor, student, classmate, dataset, wine, assignment):
    factories.done_job(dataset=dataset, baselines=[{"model": "Random forest", "accuracy": 0.9, "balanced_accuracy": 0.876,
                                                    "f1_macro": 0.8, "log_loss": 0.31, "fit_seconds": 0.2}])
    factories.published_run(course=course, assignments={student: dataset, classmate: wine})
    plan = factories.PlanFactory(assignment=assignment, student=student, status=PlanStatus.SUBMITTED)
    html = client_for(instructor).get(url(course)).content.decode()
    assert '<svg class="chart"' in html and "Number of students per chosen dataset" in html
    assert "1 — alone" in html
    assert "<td>Random forest</td><td>0.876</td><td>0.310</td>" in html
    assert reverse("plan_detail", args=[course.pk, plan.pk]) in html
    assert "Done" in html  # profiling jobs by status
    assert "style=" not in html and "<script>" not in html  # the CSP forbids inline styles and scripts


def test_search_and_filters_narrow_the_table_and_htmx_gets_the_partial(client_for, course, instructor, student, classmate, dataset):
    factories.InterestFactory(dataset=dataset, student=student, rank=1)
    client = client_for(instructor)
    html = client.get(url(course, q="cleo")).content.decode()
    assert "1 student<" in html and "Cleo Classmate</a>" in html and "Sam Student</a>" not in html
    partial = client.get(url(course, list="not_ranked"), headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<div id="students">')
    assert "Cleo Classmate</a>" in partial and "Sam Student</a>" not in partial
    by_dataset = client.get(url(course, dataset=dataset.pk), headers={"HX-Request": "true"}).content.decode()
    assert "Sam Student</a>" in by_dataset and "Cleo Classmate</a>" not in by_dataset


def test_an_unknown_filter_shows_everyone_instead_of_failing(client_for, course, instructor, student):
    response = client_for(instructor).get(url(course, list="nonsense", dataset="abc"))
    assert response.status_code == 200 and "Sam Student</a>" in response.content.decode()


def test_page_per_student(client_for, course, instructor, student, dataset, homework9):
    factories.InterestFactory(dataset=dataset, student=student, rank=1)
    membership = Membership.objects.get(course=course, user=student)
    a, b = ChoiceOption.objects.filter(title__in=["Saving and loading models", "Deploying with Flask"])
    plan = factories.PlanFactory(assignment=homework9, student=student)
    planner.plan_save(plan=plan, by=membership, answers={}, dataset_id=None,
                      picks=planner.Picks([a.pk, b.pk], {}, takes_alternative=False))
    html = client_for(instructor).get(reverse("dashboard_student", args=[course.pk, membership.pk])).content.decode()
    assert "Sam Student" in html and "Iris flowers" in html
    assert "PyTorch Recipes: Saving and loading models" in html


def test_remind_emails_each_straggler_of_one_list_once(
    client_for, course, instructor, student, classmate, dataset, assignment, worker_inline
):
    factories.InterestFactory(dataset=dataset, student=student, rank=1)
    client = client_for(instructor)
    response = client.post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_ranked"}, follow=True)
    assert "Reminder on its way to 1 person." in response.content.decode()
    assert [m.to for m in mail.outbox] == [[classmate.email]]
    assert "Rank your datasets" in mail.outbox[0].subject
    assert f"/c/{course.pk}/interests/" in mail.outbox[0].body
    again = client.post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_ranked"}, follow=True)
    assert "reminded a moment ago" in again.content.decode()
    assert len(mail.outbox) == 1


def test_remind_plans_and_roster(client_for, course, instructor, student, classmate, assignment, worker_inline):
    RosterEntry.objects.create(course=course, email="late@example.com", name="Lou Late")
    factories.PlanFactory(assignment=assignment, student=student, status=PlanStatus.APPROVED)
    client = client_for(instructor)
    client.post(reverse("dashboard_remind", args=[course.pk]), {"list": "no_plan", "assignment": assignment.pk})
    client.post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_joined"})
    assert [m.to for m in mail.outbox] == [[classmate.email], ["late@example.com"]]
    assert "Small-data mini-project" in mail.outbox[0].subject
    assert f"/join/{course.join_code}/" in mail.outbox[1].body


def test_remind_an_empty_list_or_a_bad_one_sends_nothing(client_for, course, instructor, student):
    client = client_for(instructor)
    assert "Choose which list" in client.post(reverse("dashboard_remind", args=[course.pk]), {"list": "everyone"}, follow=True).content.decode()
    assert "Nobody is on that list" in client.post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_joined"}, follow=True).content.decode()
    assert "Create a project assignment first" in client.post(reverse("dashboard_remind", args=[course.pk]), {"list": "no_plan"}, follow=True).content.decode()
    assert not mail.outbox


def test_reminders_are_sent_by_a_worker_never_by_the_request(client_for, course, instructor, student):
    from courseproj.planner.tasks import reminders_send_task

    queued = []
    with patch.object(reminders_send_task, "apply_async", lambda args, **options: queued.append(args[0])):
        client_for(instructor).post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_ranked"})
    assert not mail.outbox
    assert [email[3] for email in queued[0]] == [[student.email]]


def test_a_broker_outage_says_nothing_was_sent(client_for, course, instructor, student):
    from courseproj.planner.tasks import reminders_send_task

    def unreachable(*args, **options):
        raise ConnectionError("broker down")

    with patch.object(reminders_send_task, "apply_async", unreachable):
        response = client_for(instructor).post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_ranked"},
                                               follow=True)
    page = response.content.decode()
    assert "nothing was sent" in page and "on its way" not in page
    assert not mail.outbox


def test_a_title_with_a_line_break_still_makes_a_valid_subject(client_for, course, instructor, student, worker_inline):
    course.title = "ML 101\nEvening group"
    course.save()
    client_for(instructor).post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_ranked"})
    assert mail.outbox[0].subject == "Rank your datasets for ML 101 Evening group"


def test_students_cannot_remind(client_for, course, student):
    assert client_for(student).post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_ranked"}).status_code == 403
    assert not mail.outbox


# --- the number of queries does not grow with the class ---


def populate(course, assignment, menu_options, datasets, start: int, n: int) -> None:
    """n more students with rankings, plans (some submitted) and picks, roster lines, and a published matching."""
    MatchRun.objects.filter(course=course).update(status="superseded")
    assignments = {}
    for i in range(start, start + n):
        user = factories.MembershipFactory(course=course).user
        for rank, dataset in enumerate(datasets[i % 3:] + datasets[: i % 3], start=1):
            factories.InterestFactory(dataset=dataset, student=user, rank=rank)
        plan = factories.PlanFactory(assignment=assignment, student=user, status=PlanStatus.SUBMITTED if i % 2 else PlanStatus.DRAFT)
        plan.picks.create(option=menu_options[i % 2])
        assignments[user] = datasets[i % len(datasets)]
        RosterEntry.objects.create(course=course, email=f"roster{i}@example.com")
    earlier = Membership.objects.filter(course=course).students().exclude(user__in=list(assignments))
    assignments.update((m.user, datasets[0]) for m in earlier.select_related("user"))
    factories.published_run(course=course, assignments=assignments)


def count_queries(client, course, assignment) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(course, assignment=assignment.pk))
    assert response.status_code == 200
    return len(queries)


def test_dashboard_queries_do_not_grow_with_the_number_of_students(client_for, instructor, course):
    assignment = factories.ProjectAssignmentFactory(course=course)
    menu = factories.ChoiceMenuFactory(assignment=assignment)
    options = [factories.ChoiceOptionFactory(category__menu=menu) for _ in range(2)]
    datasets = [factories.DatasetFactory(course=course) for _ in range(4)]
    for dataset in datasets[:2]:
        factories.done_job(dataset=dataset, baselines=[{"model": "Tree", "balanced_accuracy": 0.8}])
    client = client_for(instructor)

    populate(course, assignment, options, datasets, 0, 10)
    small = count_queries(client, course, assignment)
    populate(course, assignment, options, datasets, 10, 50)
    large = count_queries(client, course, assignment)

    assert Membership.objects.filter(course=course).students().count() == 60
    assert small == large, f"10 students: {small} queries; 60 students: {large}"
    assert small <= 20
