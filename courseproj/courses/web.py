"""Small helpers every app's views share: the join link and its QR code, and
calling a service with its refusal shown as a message."""
import io
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from courseproj.courses.models import Course

T = TypeVar("T")


# SITE_URL's development default names this machine's loopback, which no phone can open.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def join_url(request: HttpRequest, course: Course) -> str:
    """The link a student opens to join (the QR code encodes it): the one place that builds it.

    On SITE_URL when it is set to an address others can reach (production, or the
    demo serving the room's network, which sets it to the machine's LAN address);
    else on the address this page was opened at.
    """
    path = reverse("join_link", args=[course.join_code])
    host = urlsplit(settings.SITE_URL).hostname
    if host and host not in LOOPBACK_HOSTS:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


def qr_svg_response(url: str, *, scale: int = 8) -> HttpResponse:
    """An SVG QR code of `url`, never cached (a regenerated code must not linger)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, border=2, dark="#111", light="#fff")
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})


def call_service(request: HttpRequest, service: Callable[..., T], /, **kwargs) -> tuple[bool, T | None]:
    """Call a service; a ValidationError becomes error messages on the next page.

    Returns (True, result) when the service succeeded, (False, None) when it refused.
    """
    try:
        return True, service(**kwargs)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return False, None



def form_refused(request: HttpRequest, form) -> bool:
    """Whether a posted form is invalid; if so, its errors are said in one message on the next page."""
    if form.is_valid():
        return False
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return True
