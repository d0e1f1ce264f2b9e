"""People have names: sign-up asks, a roster supplies, an account page changes, pages show them."""
import pytest
from django.urls import reverse

from courseproj.courses import services
from courseproj.courses.models import UNNAMED, Course, RosterEntry, User, person_name
from tests import factories

PASSWORD = "correct horse battery"


def _sign_up(client, **fields):
    data = {"name": "Lena Fischer", "email": "lena@example.com", "password1": PASSWORD, "password2": PASSWORD}
    return client.post(reverse("account_signup"), {**data, **fields})


def test_signup_asks_for_a_name_first(client, db):
    page = client.get(reverse("account_signup")).content.decode()
    assert page.index('name="name"') < page.index('name="email"') < page.index('name="password1"')
    assert 'autocomplete="name"' in page


def test_signup_stores_the_name(client, db):
    assert _sign_up(client, name="  Lena   Fischer ").status_code == 302
    assert User.objects.get(email="lena@example.com").name == "Lena Fischer"


def test_signup_without_a_name_is_refused(client, db):
    response = _sign_up(client, name="  ")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not User.objects.filter(email="lena@example.com").exists()


@pytest.mark.parametrize(
    ("raw", "name"),
    [("Fischer, Lena", "Lena Fischer"), ("Lena Fischer", "Lena Fischer"), ("  O'Brien,  Liam ", "Liam O'Brien"),
     ("Smith, Jr., John", "Smith, Jr., John"), ("Fischer,", "Fischer,"), ("", "")],
)
def test_person_name_reads_an_lms_last_first_name(raw, name):
    assert person_name(raw) == name


def test_a_roster_name_names_whoever_joins_with_that_email(course, instructor):
    services.roster_import(course=course, data=b"Name,Email\n\"Fischer, Lena\",Lena.Fischer@Uni.edu\n")
    assert RosterEntry.objects.get(course=course).name == "Lena Fischer"
    lena = factories.UserFactory(email="lena.fischer@uni.edu", name="")
    services.course_join(user=lena, code=course.join_code)
    lena.refresh_from_db()
    assert lena.name == "Lena Fischer"


def test_joining_keeps_the_name_a_person_chose(course, instructor):
    services.roster_import(course=course, data=b"email,first name,last name\nlena@uni.edu,Lena,Fischer\n")
    lena = factories.UserFactory(email="lena@uni.edu", name="Lenny")
    services.course_join(user=lena, code=course.join_code)
    lena.refresh_from_db()
    assert lena.name == "Lenny"


def test_a_roster_import_names_members_who_have_no_name(course, instructor):
    member = factories.MembershipFactory(course=course, user__email="kai@uni.edu", user__name="").user
    services.roster_import(course=course, data=b"email,name\nKAI@uni.edu,\"Nakamura, Kai\"\n")
    member.refresh_from_db()
    assert member.name == "Kai Nakamura"


def test_signup_through_the_adapter_takes_a_roster_name_when_none_was_typed(course, rf):
    """An account made without the form's name (the admin, a social login) still gets the roster's."""
    from courseproj.courses.adapter import AccountAdapter

    RosterEntry.objects.create(course=course, email="Ada@Uni.edu", name="Ada Park")

    class Form:
        cleaned_data = {"email": "ada@uni.edu", "password1": PASSWORD}

    user = AccountAdapter().save_user(rf.get("/"), User(), Form())
    assert User.objects.get(pk=user.pk).name == "Ada Park"


def test_someone_without_a_name_is_asked_once(client_for, db):
    user = factories.UserFactory(name="")
    client = client_for(user)
    assert client.get(reverse("home"))["Location"] == reverse("account_name")
    assert client.get(reverse("home")).status_code == 200  # asked once, then left alone


def test_someone_with_a_name_is_not_asked(client_for, student):
    assert client_for(student).get(reverse("home")).status_code == 200


def test_the_name_page_changes_the_name_and_the_board_follows(client_for, course, student):
    version = course.live_version
    response = client_for(student).post(reverse("account_name"), {"name": "Fischer, Lena"})
    assert response["Location"] == reverse("home")
    student.refresh_from_db()
    assert student.name == "Lena Fischer"
    assert Course.objects.get(pk=course.pk).live_version > version


def test_the_name_page_refuses_an_empty_name(client_for, student):
    response = client_for(student).post(reverse("account_name"), {"name": "   "})
    assert response.status_code == 200
    student.refresh_from_db()
    assert student.name == "Sam Student"


def test_after_the_name_the_join_link_followed_before_is_joined(client, course):
    """A nameless account following the QR: asked for a name, then on to the course."""
    client.get(reverse("join_link", args=[course.join_code]))
    client.force_login(factories.UserFactory(name=""))
    assert client.get(reverse("home"))["Location"] == reverse("account_name")
    client.post(reverse("account_name"), {"name": "Ada Park"})
    assert client.get(reverse("home"))["Location"] == reverse("join_link", args=[course.join_code])


def test_anonymous_visitor_is_sent_to_login_from_the_name_page(client, db):
    assert client.get(reverse("account_name"))["Location"].startswith(reverse("account_login"))


def test_pages_never_show_an_email_local_part(client_for, course, instructor):
    nameless = factories.MembershipFactory(course=course, user__email="kai.nakamura93@uni.edu", user__name="").user
    assert nameless.display_name == UNNAMED
    page = client_for(instructor).get(reverse("everyone", args=[course.pk])).content.decode()
    assert "kai.nakamura93<" not in page and UNNAMED in page


def test_the_topbar_names_the_user_and_leads_to_the_name_page(client_for, student):
    page = client_for(student).get(reverse("home")).content.decode()
    assert f'href="{reverse("account_name")}"' in page and "Sam Student" in page


def test_allauth_addresses_people_by_name_and_the_nameless_by_their_own_email(db):
    from allauth.account.utils import user_display

    assert user_display(User(name="Lena Fischer", email="lena@example.com")) == "Lena Fischer"
    assert user_display(User(name="", email="lena@example.com")) == "lena@example.com"  # a message to themselves


def test_emails_greet_the_nameless_with_a_plain_hello(client_for, course, instructor, student, dataset, worker_inline):
    from django.core import mail

    from matching import services as matching
    from matching.runs import circle_emails

    nameless = factories.MembershipFactory(course=course, role="student", user__name="").user
    client_for(instructor).post(reverse("dashboard_remind", args=[course.pk]), {"list": "not_ranked"})
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert bodies[nameless.email].startswith("Hello,\n\n") and bodies[student.email].startswith("Hello Sam Student,\n")

    for person in (student, nameless):
        factories.InterestFactory(dataset=dataset, student=person, rank=1)
    emails = {e.to: e.body for e in circle_emails(run=matching.match_run_start(course=course))}
    assert emails[nameless.email].startswith("Hello,\n\n") and emails[student.email].startswith("Hello Sam Student,\n")
    assert UNNAMED not in emails[nameless.email] + bodies[nameless.email]
