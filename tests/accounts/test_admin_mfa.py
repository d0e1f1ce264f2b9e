"""Two-factor authentication (allauth's TOTP) and the admin that requires it (issue 7)."""
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests import factories

PASSWORD = "correct horse battery"


def _verified(**fields):
    user = factories.UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _code(secret: str) -> str:
    """The authenticator app's current code. Each code is accepted once: forget the used ones."""
    cache.clear()
    counter = list(yield_hotp_counters_from_time())[len(list(yield_hotp_counters_from_time())) // 2]
    return format_hotp_value(hotp_value(secret, counter))


def _log_in(client: Client, user, next_url: str = "/admin/"):
    return client.post(f"{reverse('account_login')}?next={next_url}", {"login": user.email, "password": PASSWORD})


def _activate_totp(client: Client) -> str:
    """Set up an authenticator app through allauth's page; returns its secret."""
    response = client.get(reverse("mfa_activate_totp"))
    # allauth asks for the password again before changing the second factors.
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'value="([A-Z2-7]{32})"', page).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


@pytest.fixture
def staff(db):
    return _verified(email="admin@example.edu", is_staff=True, is_superuser=True)


def test_anonymous_admin_visitor_is_sent_to_allauths_login(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    # The admin's own login form (no rate limit, no second factor) is not served.
    assert client.get("/admin/login/").status_code == 302


def test_a_signed_in_non_staff_user_gets_403_from_the_admin(client, db):
    student = _verified(email="student@example.edu")
    _log_in(client, student, next_url="/")
    assert client.get("/admin/", follow=True).status_code == 403


def test_staff_without_an_authenticator_is_sent_to_set_one_up(client, staff):
    _log_in(client, staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    page = client.get(reverse("mfa_index")).content.decode()
    assert "two-factor authentication" in page


def test_staff_sets_up_totp_confirms_a_code_and_reaches_the_admin(client, staff):
    _log_in(client, staff)
    secret = _activate_totp(client)
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.RECOVERY_CODES).exists()

    # Signed in with a password only: the admin asks for a code first.
    response = client.get("/admin/courseproj/course/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_reauthenticate"))
    response = client.post(response["Location"], {"code": _code(secret)})
    assert response.status_code == 302 and response["Location"] == "/admin/courseproj/course/"
    assert client.get("/admin/courseproj/course/").status_code == 200


def test_next_sign_in_asks_for_the_code_and_then_opens_the_admin(client, staff):
    _log_in(client, staff)
    secret = _activate_totp(client)
    client.post(reverse("account_logout"))

    response = _log_in(client, staff)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # no session until the second factor
    response = client.post(reverse("mfa_authenticate"), {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_also_opens_the_admin_once(client, staff):
    _log_in(client, staff)
    _activate_totp(client)
    codes = Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES).wrap().get_unused_codes()
    client.post(reverse("account_logout"))

    _log_in(client, staff)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert client.get("/admin/").status_code == 200
    client.post(reverse("account_logout"))
    _log_in(client, staff)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})  # spent
    assert "_auth_user_id" not in client.session
