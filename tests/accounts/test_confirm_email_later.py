"""A course may let students confirm their email later: from the QR code to a first pick without a mailbox."""
import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from courseproj.courses.models import Course
from tests import factories

PASSWORD = "correct horse battery"


def _sign_up(client, email="ada@example.com"):
    return client.post(
        reverse("account_signup"),
        {"name": "Ada Park", "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


@pytest.fixture
def class_hour(db) -> Course:
    return factories.CourseFactory(title="ML 101", email_confirmation_later=True)


def test_signup_through_the_join_link_starts_at_once(client, class_hour):
    client.get(reverse("join_link", args=[class_hour.join_code]))
    response = _sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "_auth_user_id" in client.session
    # Home follows the join link the visitor came through.
    assert client.get(reverse("home"))["Location"] == reverse("join_link", args=[class_hour.join_code])
    # The confirmation email still goes out, for later.
    assert len(mail.outbox) == 1 and "confirm-email" in mail.outbox[0].body
    assert not EmailAddress.objects.get(email="ada@example.com").verified


def test_signup_through_another_courses_join_link_waits_for_the_email(client, course):
    assert not course.email_confirmation_later
    client.get(reverse("join_link", args=[course.join_code]))
    response = _sign_up(client)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_signup_without_a_join_link_waits_for_the_email(client, class_hour):
    response = _sign_up(client)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_a_later_login_still_asks_for_the_confirmation(client, class_hour):
    client.get(reverse("join_link", args=[class_hour.join_code]))
    _sign_up(client)
    client.logout()
    response = client.post(reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD})
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_the_instructor_turns_the_setting_on(client_for, course, instructor):
    response = client_for(instructor).post(
        reverse("course_settings", args=[course.pk]),
        {"title": course.title, "ranking_size": 3, "min_circle_size": 2, "email_confirmation_later": "on"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.email_confirmation_later


def test_the_demo_course_lets_students_confirm_later(db):
    from courseproj.demo import load_demo

    assert load_demo(students=2).email_confirmation_later
