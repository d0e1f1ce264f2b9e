"""Assignments, and what a student's plan page shows: dataset, baseline to beat, classmates, milestones, thread."""
import datetime
import html
import re

import pytest
from django.urls import reverse

from courseproj.planner.models import DEFAULT_PLAN_FIELDS, ChoiceOption, ChoicePick, Plan, PlanComment, ProjectAssignment
from tests import factories

BASELINES = [
    {"model": "Majority class", "accuracy": 0.33, "balanced_accuracy": 0.33, "f1_macro": 0.17, "log_loss": 1.1, "fit_seconds": 0.01},
    {"model": "Logistic regression", "accuracy": 0.96, "balanced_accuracy": 0.953, "f1_macro": 0.95, "log_loss": 0.12, "fit_seconds": 0.05},
    {"model": "Random forest", "accuracy": 0.97, "balanced_accuracy": 0.961, "f1_macro": 0.96, "log_loss": 0.2, "fit_seconds": 0.3},
]


def plan_url(plan):
    return reverse("plan_detail", args=[plan.assignment.course_id, plan.pk])


# --- assignments ---


def test_instructor_creates_an_assignment_with_the_default_plan_fields(client_for, course, instructor):
    client = client_for(instructor)
    form = client.get(reverse("assignment_create", args=[course.pk])).content.decode()
    assert "Stakeholders and risks" in form
    response = client.post(reverse("assignment_create", args=[course.pk]), {
        "title": "Mini-project", "launch_on": "2026-03-02", "checkin_on": "2026-03-16", "due_on": "2026-03-30",
        "needs_dataset": "on", "plan_fields_text": "\n".join(DEFAULT_PLAN_FIELDS),
    }, follow=True)
    assert "“Mini-project” created." in response.content.decode()
    assignment = ProjectAssignment.objects.get(course=course)
    assert assignment.plan_fields == DEFAULT_PLAN_FIELDS


def test_dates_out_of_order_are_a_form_error(client_for, course, instructor):
    response = client_for(instructor).post(reverse("assignment_create", args=[course.pk]), {
        "title": "Mini-project", "launch_on": "2026-03-20", "checkin_on": "2026-03-16", "due_on": "2026-03-10",
        "plan_fields_text": "Application",
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert "The check-in comes after the launch." in html
    assert not ProjectAssignment.objects.exists()


def test_instructor_changes_the_plan_fields(client_for, course, instructor, assignment):
    client_for(instructor).post(reverse("assignment_edit", args=[course.pk, assignment.pk]), {
        "title": assignment.title, "launch_on": "2026-03-02", "checkin_on": "2026-03-16", "due_on": "2026-03-30",
        "plan_fields_text": "Application\n  Who   is affected  \n\nApplication\n",
    })
    assignment.refresh_from_db()
    assert assignment.plan_fields == ["Application", "Who is affected"]


def test_students_cannot_create_assignments(client_for, course, student):
    assert client_for(student).get(reverse("assignment_create", args=[course.pk])).status_code == 403


def test_student_sees_their_assignments_and_starts_a_plan(client_for, course, student, assignment):
    client = client_for(student)
    html = client.get(reverse("assignments", args=[course.pk])).content.decode()
    assert "Small-data mini-project" in html and "Start my plan" in html
    response = client.post(reverse("plan_start", args=[course.pk, assignment.pk]))
    plan = Plan.objects.get(student=student)
    assert response["Location"] == plan_url(plan)


# --- the dataset: from the matching, or chosen directly ---


def test_plan_starts_with_the_first_choice_when_there_is_no_matching(client_for, course, student, assignment, dataset):
    factories.InterestFactory(dataset=dataset, student=student, rank=1)
    client_for(student).post(reverse("plan_start", args=[course.pk, assignment.pk]))
    assert Plan.objects.get(student=student).dataset == dataset


def test_student_chooses_the_dataset_directly_without_a_matching(client_for, course, student, assignment, dataset):
    other = factories.DatasetFactory(course=course, title="Wine")
    plan = factories.PlanFactory(assignment=assignment, student=student)
    client = client_for(student)
    assert "Choose a dataset…" in client.get(plan_url(plan)).content.decode()
    client.post(plan_url(plan), {"dataset": other.pk, "answer_0": "x"})
    plan.refresh_from_db()
    assert plan.dataset == other


def test_a_dataset_of_another_course_cannot_be_chosen(client_for, student, assignment, outsider):
    foreign = factories.DatasetFactory(title="Foreign")
    plan = factories.PlanFactory(assignment=assignment, student=student)
    response = client_for(student).post(plan_url(plan), {"dataset": foreign.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    plan.refresh_from_db()
    assert plan.dataset is None


def test_published_matching_decides_the_dataset(client_for, course, student, classmate, assignment, dataset):
    wine = factories.DatasetFactory(course=course, title="Wine")
    factories.published_run(course=course, assignments={student: dataset, classmate: dataset})
    plan = factories.PlanFactory(assignment=assignment, student=student, dataset=wine)
    client = client_for(student)
    html = client.get(plan_url(plan)).content.decode()
    assert "From the published matching." in html and "Choose a dataset…" not in html
    client.post(plan_url(plan), {"dataset": wine.pk, "answer_0": "x"})
    plan.refresh_from_db()
    assert plan.dataset == dataset


def test_plan_page_shows_the_baseline_to_beat_and_the_classmates(client_for, course, student, classmate, assignment, dataset):
    factories.done_job(dataset=dataset, baselines=BASELINES, best_model="Logistic regression")
    factories.published_run(course=course, assignments={student: dataset, classmate: dataset})
    plan = factories.PlanFactory(assignment=assignment, student=student, dataset=dataset)
    html = client_for(student).get(plan_url(plan)).content.decode()
    assert "Baseline to beat: <strong>0.953</strong> balanced accuracy (Logistic regression)" in html
    assert "Cleo Classmate" in html


def test_without_a_best_model_the_best_balanced_accuracy_is_the_baseline(client_for, student, assignment, dataset):
    factories.done_job(dataset=dataset, baselines=BASELINES)
    plan = factories.PlanFactory(assignment=assignment, student=student, dataset=dataset)
    assert "<strong>0.961</strong> balanced accuracy (Random forest)" in client_for(student).get(plan_url(plan)).content.decode()


def test_anonymous_course_shows_how_many_classmates_not_who(client_for, course, student, classmate, assignment, dataset):
    course.anonymous = True
    course.save()
    factories.published_run(course=course, assignments={student: dataset, classmate: dataset})
    plan = factories.PlanFactory(assignment=assignment, student=student, dataset=dataset)
    html = client_for(student).get(plan_url(plan)).content.decode()
    assert "1 classmate (names are hidden in this course)" in html
    assert "Cleo Classmate" not in html


def test_without_a_profile_the_page_says_so(client_for, student, assignment, dataset):
    plan = factories.PlanFactory(assignment=assignment, student=student, dataset=dataset)
    html = client_for(student).get(plan_url(plan)).content.decode()
    assert "No baseline yet" in html and "Nobody else yet" in html


def test_answer_with_a_nul_byte_is_a_form_error_and_nothing_is_saved(client_for, student, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student, answers={"Application": "kept"})
    response = client_for(student).post(plan_url(plan), {"answer_0": "evil\x00", "answer_1": "fine"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    plan.refresh_from_db()
    assert plan.answers == {"Application": "kept"}


def test_instructor_reads_the_plan_but_gets_no_edit_form(client_for, instructor, student, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student, answers={"Application": "Sort irises."})
    html = client_for(instructor).get(plan_url(plan)).content.decode()
    assert "Sam Student's plan" in html and "Sort irises." in html
    assert "Save draft" not in html
    assert "The student has not submitted this plan yet." in html


# --- milestones and the thread ---


def test_student_adds_and_removes_a_milestone_within_the_assignment_dates(client_for, course, student, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student)
    client = client_for(student)
    url = reverse("milestone_add", args=[course.pk, plan.pk])
    html = client.post(url, {"title": "Clean the data", "due_on": "2026-05-01"}, follow=True).content.decode()
    assert "Choose a date between the launch (Mar 2) and the due date (Mar 30)." in html
    client.post(url, {"title": "Clean the data", "due_on": "2026-03-05"})
    milestone = plan.milestones.get()
    assert milestone.due_on == datetime.date(2026, 3, 5)
    html = client.get(plan_url(plan)).content.decode()
    assert html.index("Launch") < html.index("Clean the data") < html.index("Check-in")
    client.post(reverse("milestone_remove", args=[course.pk, plan.pk, milestone.pk]))
    assert not plan.milestones.exists()


def test_milestone_without_a_date_is_a_clear_message(client_for, course, student, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student)
    html = client_for(student).post(reverse("milestone_add", args=[course.pk, plan.pk]), {"title": "x"}, follow=True).content.decode()
    assert "Give the milestone a title and a date." in html


def test_student_and_instructor_talk_in_the_thread(client_for, course, student, instructor, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student)
    url = reverse("plan_comment", args=[course.pk, plan.pk])
    client_for(student).post(url, {"body": "Is accuracy fine here?"})
    client_for(instructor).post(url, {"body": "Use balanced accuracy: the classes are uneven."})
    assert list(PlanComment.objects.values_list("author__name", "body")) == [
        ("Sam Student", "Is accuracy fine here?"), ("Ivy Instructor", "Use balanced accuracy: the classes are uneven.")]
    html = client_for(student).get(plan_url(plan)).content.decode()
    assert "Use balanced accuracy" in html


def test_an_empty_comment_is_refused(client_for, course, student, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student)
    html = client_for(student).post(reverse("plan_comment", args=[course.pk, plan.pk]), {"body": ""}, follow=True).content.decode()
    assert "Write a comment" in html
    assert not PlanComment.objects.exists()


def test_the_student_has_a_plan_tab_and_staff_a_dashboard_tab(client_for, course, student, instructor):
    assert ">Plan</a>" in client_for(student).get(reverse("course_detail", args=[course.pk])).content.decode()
    assert ">Dashboard</a>" in client_for(instructor).get(reverse("course_detail", args=[course.pk])).content.decode()


@pytest.mark.parametrize("name", ["assignments", "assignment_detail", "plan_detail"])
def test_pages_render_for_staff(client_for, course, instructor, homework9, student, name):
    """Each staff page shows the assignment and the student's plan, not just a 200."""
    plan = factories.PlanFactory(assignment=homework9, student=student)
    option = ChoiceOption.objects.filter(category__menu__assignment=homework9).order_by("pk").first()
    ChoicePick.objects.create(plan=plan, option=option)
    kwargs = {"assignments": [course.pk], "assignment_detail": [course.pk, homework9.pk], "plan_detail": [course.pk, plan.pk]}
    response = client_for(instructor).get(reverse(name, args=kwargs[name]))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert homework9.title in page
    if name == "assignments":
        assert reverse("assignment_detail", args=[course.pk, homework9.pk]) in page
        assert "No project assignment yet" not in page
    elif name == "assignment_detail":
        assert "1 plan started" in page and homework9.menu.rule_text in page
        # The "who picked what" row of the picked option names the student.
        assert re.search(rf"<th scope=\"row\">{re.escape(option.title)}</th><td>1</td><td>Sam Student</td>", page)
    else:
        assert "Sam Student's plan" in page and "My plan" not in page
        assert option.title in page


def test_answers_to_a_removed_field_are_kept_when_the_plan_is_saved(client_for, course, instructor, student, assignment):
    plan = factories.PlanFactory(assignment=assignment, student=student, answers={"Application": "Sort irises."})
    client_for(instructor).post(reverse("assignment_edit", args=[course.pk, assignment.pk]), {
        "title": assignment.title, "launch_on": "2026-03-02", "checkin_on": "2026-03-16", "due_on": "2026-03-30",
        "plan_fields_text": "Use case"})
    client_for(student).post(plan_url(plan), {"answer_0": "A florist's helper."})
    plan.refresh_from_db()
    assert plan.answers == {"Application": "Sort irises.", "Use case": "A florist's helper."}
