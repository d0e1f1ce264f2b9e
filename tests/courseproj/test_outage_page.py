"""A database or cache outage is a 503 page with Retry-After, and pages come back with the database
(docs/reliability.md row 40, in-process; tests/drills/test_database_outage.py cuts a real PostgreSQL)."""
from unittest import mock

import pytest
import redis
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse

from courseproj.middleware import RETRY_AFTER_SECONDS


def _database_down():
    return mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("server closed the connection"))


def _assert_outage_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "back in a moment" in response.content.decode()


@pytest.mark.reliability(40)
def test_a_view_that_loses_the_database_answers_503_and_the_next_request_recovers(client, course):
    url = reverse("display", args=[course.display_token])
    with _database_down():
        _assert_outage_page(client.get(url))
    assert client.get(url).status_code == 200


@pytest.mark.reliability(40)
def test_a_session_that_cannot_be_read_is_a_503_page_too(settings, client_for, student):
    """The session and the user are read by middleware, outside any view: handler500 gives the same page."""
    settings.DEBUG = False
    client = client_for(student)
    client.raise_request_exception = False
    with _database_down():
        _assert_outage_page(client.get(reverse("home")))
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.reliability(39)
def test_a_frozen_cache_on_the_login_form_is_a_503_not_a_hang(client, db):
    """allauth's rate limits read the cache: a Redis that times out gives the outage page."""
    with mock.patch("django.core.cache.cache.add", side_effect=redis.exceptions.TimeoutError("Timeout reading")), \
            mock.patch("django.core.cache.cache.get", side_effect=redis.exceptions.TimeoutError("Timeout reading")):
        response = client.post(reverse("account_login"), {"login": "a@example.com", "password": "x"})
    _assert_outage_page(response)


def test_other_errors_stay_ordinary_500s(settings, course):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    with mock.patch.object(CursorWrapper, "execute", side_effect=ZeroDivisionError):
        response = client.get(reverse("display", args=[course.display_token]))
    assert response.status_code == 500 and "Retry-After" not in response


@pytest.mark.parametrize("scheme_header", [{}, {"HTTP_X_FORWARDED_PROTO": "http"}])
def test_health_is_not_redirected_to_https(settings, client, db, scheme_header):
    """A plain-HTTP probe gets health's own 200/503, while every other page is redirected."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("home"), **scheme_header).status_code == 301
    assert client.get(reverse("health"), **scheme_header).status_code in (200, 503)
