import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from courseproj.courses.models import Membership
from matching import services
from matching.models import Interest
from tests import factories


def _ranked(student, course):
    return list(Interest.objects.filter(course=course, student=student).order_by("rank").values_list("dataset__title", flat=True))


@pytest.fixture
def three(course):
    return [factories.DatasetFactory(course=course, title=t) for t in ("Alpha", "Beta", "Gamma")]


def test_student_ranks_three_datasets_in_order(client_for, course, student, three):
    client = client_for(student)
    for d in three:
        client.post(reverse("interest_add", args=[course.pk, d.pk]))
    assert _ranked(student, course) == ["Alpha", "Beta", "Gamma"]


def test_reorder_and_remove(client_for, course, student, three):
    client = client_for(student)
    for d in three:
        client.post(reverse("interest_add", args=[course.pk, d.pk]))
    client.post(reverse("interest_up", args=[course.pk, three[2].pk]))
    assert _ranked(student, course) == ["Alpha", "Gamma", "Beta"]
    client.post(reverse("interest_remove", args=[course.pk, three[0].pk]))
    assert _ranked(student, course) == ["Gamma", "Beta"]
    assert list(Interest.objects.filter(student=student).order_by("rank").values_list("rank", flat=True)) == [1, 2]


@pytest.mark.reliability(32)
def test_double_submit_is_a_friendly_no_op(client_for, course, student, three):
    client = client_for(student)
    url = reverse("interest_add", args=[course.pk, three[0].pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert "already on your list" in response.content.decode()
    assert Interest.objects.filter(student=student).count() == 1


def test_cannot_rank_more_than_k(client_for, course, student, three):
    course.ranking_size = 2
    course.save()
    client = client_for(student)
    for d in three:
        response = client.post(reverse("interest_add", args=[course.pk, d.pk]), follow=True)
    assert "at most 2" in response.content.decode()
    assert _ranked(student, course) == ["Alpha", "Beta"]


def test_locked_course_refuses_changes(client_for, course, student, three):
    course.interests_locked = True
    course.save()
    response = client_for(student).post(reverse("interest_add", args=[course.pk, three[0].pk]), follow=True)
    assert "locked" in response.content.decode()
    assert not Interest.objects.exists()


def test_proposed_dataset_cannot_be_ranked(course, student):
    proposal = factories.DatasetFactory(course=course, status="proposed", proposed_by=student)
    membership = Membership.objects.get(course=course, user=student)
    with pytest.raises(ValidationError):
        services.interest_set_ranking(membership=membership, dataset_ids=[proposal.pk])


def test_student_sees_who_else_is_interested(client_for, course, student, classmate, dataset):
    factories.InterestFactory(dataset=dataset, student=classmate)
    html = client_for(student).get(reverse("interests", args=[course.pk])).content.decode()
    assert "1 interested: Cleo Classmate" in html


def test_anonymous_mode_shows_counts_not_names(client_for, course, student, classmate, dataset):
    course.anonymous = True
    course.save()
    factories.InterestFactory(dataset=dataset, student=classmate)
    html = client_for(student).get(reverse("interests", args=[course.pk])).content.decode()
    assert "1 interested" in html
    assert "Cleo Classmate" not in html


def test_instructor_sees_every_ranking(client_for, course, instructor, student, classmate, three):
    factories.InterestFactory(dataset=three[1], student=student, rank=1)
    html = client_for(instructor).get(reverse("everyone", args=[course.pk])).content.decode()
    assert "Sam Student" in html and "Beta" in html
    assert "not ranked yet" in html  # the classmate


def test_student_cannot_open_everyone_page(client_for, course, student):
    assert client_for(student).get(reverse("everyone", args=[course.pk])).status_code == 403


@pytest.mark.reliability(32)
def test_database_refuses_the_same_dataset_twice(course, student, dataset):
    from django.db import IntegrityError, transaction

    Interest.objects.create(course=course, student=student, dataset=dataset, rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interest.objects.create(course=course, student=student, dataset=dataset, rank=2)


def test_htmx_request_gets_the_fragment(client_for, course, student, dataset):
    response = client_for(student).post(
        reverse("interest_add", args=[course.pk, dataset.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="interests"')
    assert "<html" not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.reliability(32)
def test_two_tabs_adding_at_once_leave_one_row():
    """docs/reliability.md row 32: concurrent requests for the same interest make exactly one row."""
    course = factories.CourseFactory()
    dataset = factories.DatasetFactory(course=course)
    student = factories.MembershipFactory(course=course).user
    membership = Membership.objects.get(user=student)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def tab():
        try:
            barrier.wait()
            results.append(services.interest_add(membership=Membership.objects.get(pk=membership.pk), dataset_id=dataset.pk))
        except Exception as error:  # the test reports any failure below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [False, True]
    assert Interest.objects.filter(student=student).count() == 1
