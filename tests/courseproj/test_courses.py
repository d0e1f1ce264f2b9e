import re

import pytest
from django.urls import reverse

from courseproj.courses.models import Course, Membership, Role
from courseproj.courses.views import PENDING_JOIN_SESSION_KEY
from tests import factories
from tests.qr import decode_qr_svg


def test_instructor_creates_course_and_becomes_its_instructor(client_for, db):
    user = factories.UserFactory()
    response = client_for(user).post(reverse("course_create"), {"title": "Intro to ML"})
    course = Course.objects.get(title="Intro to ML")
    assert response.status_code == 302
    assert response["Location"] == reverse("course_detail", args=[course.pk])
    assert Membership.objects.get(course=course, user=user).role == Role.INSTRUCTOR
    assert len(course.join_code) == 6


def test_course_page_shows_join_code_link_and_qr_to_instructor(client_for, course, instructor):
    response = client_for(instructor).get(reverse("course_detail", args=[course.pk]))
    html = response.content.decode()
    assert course.join_code in html
    assert f"/join/{course.join_code}/" in html
    assert reverse("course_qr", args=[course.pk]) in html


def test_qr_code_is_an_svg_of_the_join_link(client_for, course, instructor):
    response = client_for(instructor).get(reverse("course_qr", args=[course.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    # Scanned as a phone would: it opens the course's join link, nothing else.
    assert decode_qr_svg(response.content) == [f"http://testserver/join/{course.join_code}/"]


def test_course_page_tells_staff_how_many_students_have_ranked(client_for, course, instructor, student, classmate):
    """Students with at least one ranked dataset in this course: not rows, not other courses, not staff."""
    first, second = factories.DatasetFactory(course=course), factories.DatasetFactory(course=course)
    factories.InterestFactory(dataset=first, student=student, rank=1)
    factories.InterestFactory(dataset=second, student=student, rank=2)
    factories.InterestFactory(dataset=first, student=classmate, rank=1)
    factories.InterestFactory(dataset=second, student=instructor, rank=1)
    factories.MembershipFactory(course=course, role="student")  # joined, has not ranked
    other_course = factories.CourseFactory()
    elsewhere = factories.MembershipFactory(course=course, role="student").user  # ranked in another course only
    factories.MembershipFactory(course=other_course, role="student", user=elsewhere)
    factories.InterestFactory(dataset=factories.DatasetFactory(course=other_course), student=elsewhere, rank=1)

    page = client_for(instructor).get(reverse("course_detail", args=[course.pk])).content.decode()
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))
    assert stats["Students joined"] == "4"
    assert stats["Have ranked datasets"] == "2"


def test_student_cannot_see_qr_code(client_for, course, student):
    assert client_for(student).get(reverse("course_qr", args=[course.pk])).status_code == 403


def test_student_joins_by_code_case_insensitively(client_for, course):
    user = factories.UserFactory()
    response = client_for(user).post(reverse("join_by_code"), {"code": f"  {course.join_code.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("interests", args=[course.pk])
    assert Membership.objects.get(course=course, user=user).role == Role.STUDENT


def test_joining_twice_keeps_one_membership(client_for, course):
    user = factories.UserFactory()
    client = client_for(user)
    client.post(reverse("join_by_code"), {"code": course.join_code})
    client.post(reverse("join_by_code"), {"code": course.join_code})
    assert Membership.objects.filter(course=course, user=user).count() == 1


def test_wrong_code_gives_a_clear_message(client_for, db):
    user = factories.UserFactory()
    response = client_for(user).post(reverse("join_by_code"), {"code": "NOPE99"}, follow=True)
    assert "No course has that join code" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


def test_join_link_remembers_the_course_through_signup(client, course):
    response = client.get(reverse("join_link", args=[course.join_code]))
    assert response["Location"] == reverse("account_signup")
    assert client.session[PENDING_JOIN_SESSION_KEY] == course.join_code
    user = factories.UserFactory()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("join_link", args=[course.join_code])
    response = client.post(reverse("join_link", args=[course.join_code]))
    assert response["Location"] == reverse("interests", args=[course.pk])
    assert Membership.objects.filter(course=course, user=user).exists()


def test_regenerated_code_replaces_the_old_one(client_for, course, instructor):
    old = course.join_code
    client_for(instructor).post(reverse("course_regenerate_code", args=[course.pk]))
    course.refresh_from_db()
    assert course.join_code != old
    newcomer = factories.UserFactory()
    response = client_for(newcomer).post(reverse("join_by_code"), {"code": old}, follow=True)
    assert "No course has that join code" in response.content.decode()


def test_student_cannot_regenerate_code(client_for, course, student):
    old = course.join_code
    assert client_for(student).post(reverse("course_regenerate_code", args=[course.pk])).status_code == 403
    course.refresh_from_db()
    assert course.join_code == old


def test_instructor_changes_settings(client_for, course, instructor):
    response = client_for(instructor).post(
        reverse("course_settings", args=[course.pk]),
        {"title": "ML", "ranking_size": 4, "min_circle_size": 2, "max_circle_size": 5, "anonymous": "on"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.ranking_size, course.max_circle_size, course.anonymous) == (4, 5, True)


def test_settings_reject_maximum_below_minimum(client_for, course, instructor):
    response = client_for(instructor).post(
        reverse("course_settings", args=[course.pk]),
        {"title": "ML", "ranking_size": 3, "min_circle_size": 3, "max_circle_size": 2},
    )
    assert response.status_code == 200
    assert "cannot be below the minimum" in response.content.decode()
    course.refresh_from_db()
    assert course.max_circle_size is None


def test_instructor_removes_a_student_and_their_interests(client_for, course, instructor, student, dataset):
    factories.InterestFactory(dataset=dataset, student=student)
    member = Membership.objects.get(course=course, user=student)
    client_for(instructor).post(reverse("member_remove", args=[course.pk, member.pk]))
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert not student.interests.exists()


def test_last_instructor_cannot_be_removed(course, instructor):
    from django.core.exceptions import ValidationError

    from courseproj.courses.services import membership_remove

    with pytest.raises(ValidationError):
        membership_remove(membership=Membership.objects.get(course=course, user=instructor))


def test_instructor_makes_a_student_ta(client_for, course, instructor, student):
    member = Membership.objects.get(course=course, user=student)
    client_for(instructor).post(reverse("member_set_role", args=[course.pk, member.pk]), {"role": "ta"})
    member.refresh_from_db()
    assert member.role == Role.TA
