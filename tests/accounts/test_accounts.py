"""Sign-up, verification, login limits and reset (docs/reliability.md rows 25–29, 31)."""
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests import factories

PASSWORD = "correct horse battery"


@pytest.fixture
def verified_user(db):
    user = factories.UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _login(client, email, password, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def test_signup_sends_a_verification_email_and_confirming_logs_in(client, db):
    response = client.post(
        reverse("account_signup"),
        {"name": "Nia New", "email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", mail.outbox[0].body).group(1)
    client.post(link)
    assert EmailAddress.objects.get(email="new@example.com").verified
    assert client.get(reverse("home")).status_code == 200
    assert "_auth_user_id" in client.session


@pytest.mark.reliability(27)
def test_login_before_verification_is_sent_to_confirm_email(client, db):
    """Row 27."""
    factories.UserFactory(email="unverified@example.com")
    response = _login(client, "unverified@example.com", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_verified_user_logs_in(client, verified_user):
    response = _login(client, verified_user.email, PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.reliability(25)
def test_sixth_wrong_password_blocks_even_the_right_one(client, verified_user):
    """Row 25: five failures for one account, then the account is refused for the window."""
    for _ in range(5):
        assert _login(client, verified_user.email, "wrong password").status_code == 200
    response = _login(client, verified_user.email, PASSWORD)
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.reliability(26)
def test_unknown_email_reset_looks_like_a_known_one(client, verified_user):
    """Row 26: no enumeration through password reset."""
    known = client.post(reverse("account_reset_password"), {"email": verified_user.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


@pytest.mark.reliability(26)
def test_password_reset_is_rate_limited_per_address(client, verified_user):
    statuses = [client.post(reverse("account_reset_password"), {"email": verified_user.email}).status_code for _ in range(7)]
    assert 429 in statuses or statuses.count(302) <= 5


@pytest.mark.reliability(28)
def test_a_class_behind_one_nat_address_can_log_in(db):
    """Row 28: 60 students logging in within a minute from one IP are not locked out."""
    users = []
    for n in range(60):
        user = factories.UserFactory(email=f"s{n}@school.edu")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        users.append(user)
    logged_in = 0
    for user in users:
        client = Client(REMOTE_ADDR="203.0.113.7")
        _login(client, user.email, PASSWORD)
        logged_in += "_auth_user_id" in client.session
    assert logged_in == 60


@pytest.mark.reliability(29)
def test_forged_forwarded_for_does_not_dodge_the_account_limit(db, verified_user):
    """Row 29: with no trusted proxy, X-Forwarded-For is ignored."""
    for n in range(5):
        _login(Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"), verified_user.email, "wrong")
    client = Client(HTTP_X_FORWARDED_FOR="198.51.100.99")
    _login(client, verified_user.email, PASSWORD)
    assert "_auth_user_id" not in client.session


@pytest.mark.reliability(29)
def test_forged_forwarded_for_is_ignored_for_ip_limits(db):
    from allauth.account.adapter import get_adapter
    from django.test import RequestFactory

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="10.0.0.1")
    assert get_adapter(request).get_client_ip(request) == "10.0.0.1"


@pytest.mark.reliability(29)
def test_only_the_configured_proxy_hop_is_trusted(settings, db):
    from allauth.account.adapter import get_adapter
    from django.test import RequestFactory

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert get_adapter(request).get_client_ip(request) == "203.0.113.9"


@pytest.mark.reliability(31)
def test_post_without_csrf_token_is_refused(db, verified_user):
    """Row 31."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(verified_user)
    response = client.post(reverse("course_create"), {"title": "Sneaky"})
    assert response.status_code == 403


@pytest.mark.reliability(31)
def test_too_many_form_fields_is_a_400(client_for, verified_user):
    """Row 31: 1,500 fields are refused before any view runs."""
    data = {f"f{n}": "x" for n in range(1500)}
    response = client_for(verified_user).post(reverse("course_create"), data)
    assert response.status_code == 400
