"""Two answers the whole site gives: a 503 page while the database is away,
and no admin without a second factor."""
import logging

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

logger = logging.getLogger(__name__)

# Seconds a browser or a client is told to wait: a PostgreSQL restart or a
# fail-over takes about this long.
RETRY_AFTER_SECONDS = 10


def _outage_errors() -> tuple[type[Exception], ...]:
    """The database's and Redis's "cannot reach it" errors (the cache holds allauth's rate limits)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError


def service_unavailable(exception: BaseException | None) -> HttpResponse | None:
    """The 503 page when `exception` means a backing service is unreachable, else None.

    Rendered without the request: its context processors (the user, the
    session) would ask the database again.
    """
    if not isinstance(exception, _outage_errors()):
        return None
    logger.warning("backing service unavailable: %s: %s", type(exception).__name__, exception)
    response = HttpResponse(render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    """A view that loses the database (or the cache) answers 503 with Retry-After.

    CONN_HEALTH_CHECKS drops the dead connection, so the first request after
    the database is back gets a new one: the site recovers by itself. Errors
    raised in other middleware (the session, the user) never reach here: the
    project's handler500 gives them the same page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return service_unavailable(exception)


class AdminRequiresMFAMiddleware:
    """/admin/ only for active staff who signed in with a second factor this session.

    The admin's own login form is replaced by allauth's (urls.py), so staff
    sign in through the rate-limited form and its two-factor step. Staff
    without an authenticator are sent to set one up; staff who have one but
    signed in without it (a login link, a password reset) are asked for a code.
    Everyone else gets the admin's usual answer (login page or 403).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None and user.is_authenticated and user.is_active and user.is_staff
            and request.path.startswith(reverse("admin:index"))
            and not _signed_in_with_mfa(request)
        ):
            return _ask_for_second_factor(request)
        return self.get_response(request)


def _signed_in_with_mfa(request) -> bool:
    from allauth.account.authentication import get_authentication_records

    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def _ask_for_second_factor(request):
    from allauth.mfa.utils import is_mfa_enabled

    if is_mfa_enabled(request.user):
        return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.path})}")
    messages.warning(request, "The admin needs two-factor authentication: set up an authenticator app first.")
    return redirect("mfa_index")
