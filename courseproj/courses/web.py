"""Small helpers every app's views share: the join link and its QR code, and
calling a service with its refusal shown as a message."""
import io
from collections.abc import Callable
from typing import TypeVar

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from courseproj.courses.models import Course

T = TypeVar("T")


def join_url(request: HttpRequest, course: Course) -> str:
    """The link a student opens to join (the QR code encodes it)."""
    return request.build_absolute_uri(reverse("join_link", args=[course.join_code]))


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

