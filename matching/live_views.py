"""The live pages' server-sent event streams (matching/live.py): the projector's board and the phones' who-lines.

A stream's first event is the current state, then one event per change. The
pages keep their polling URLs as the fallback (static/js/live.js): a browser
without EventSource, a stream that keeps failing, or a 503 from a process
holding MAX_STREAMS already.
"""
import threading

from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from courseproj.courses.access import get_membership
from matching import live
from matching.live_payloads import replaced_event
from matching.views import _projector_course

# Seconds a page that was refused a stream waits before it is worth asking again (it polls meanwhile).
RETRY_AFTER_SECONDS = 60
# courseproj/serving.py runs the views on a few long-lived threads so named: their
# database connection serves the next request and is left open.
_VIEW_THREAD_PREFIX = "courseproj-views"


@login_required
@require_GET
def interests_stream(request, course_id: int):
    """A student's page: every dataset's who-line when classmates pick (names as the page shows them)."""
    membership = get_membership(request.user, course_id)
    kind = live.WHO_STAFF if membership.is_staff_role else live.WHO
    return _stream(request, membership.course_id, kind)


@require_GET
def display_stream(request, token: str):
    """The projector (its secret link is the key): the whole board at each change."""
    course = _projector_course(token)
    if course is None:  # a replaced link: say so once, and the page stops listening
        _release_connection()
        return _event_stream(_once(request, [live.retry_field(), replaced_event()]))
    return _stream(request, course.pk, live.BOARD, token=token)


def _stream(request, course_id: int, kind: str, token: str = ""):
    hub = live.hub
    stream = hub.subscribe(course_id, kind, token=token)
    if stream is None:
        response = HttpResponse("Too many live connections here: this page polls instead.", status=503,
                                content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    _release_connection()
    seconds = live.stream_seconds()
    if isinstance(request, ASGIRequest):
        return _event_stream(live.async_events(hub, stream, seconds))
    return _event_stream(live.sync_events(hub, stream, seconds))


def _once(request, chunks: list[bytes]):
    """A short stream, as an iterator of the server's kind (Django would buffer the other kind whole)."""
    if not isinstance(request, ASGIRequest):
        return iter(chunks)

    async def chunks_async():
        for chunk in chunks:
            yield chunk

    return chunks_async()


def _release_connection() -> None:
    """A held stream holds no database connection (it never reads): a thread of its own gives it back now.

    Never inside a transaction (a test's): closing would end it.
    """
    if not threading.current_thread().name.startswith(_VIEW_THREAD_PREFIX) and not connection.in_atomic_block:
        connection.close()


def _event_stream(events) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # nginx and similar proxies pass each event on at once instead of buffering the response.
    response["X-Accel-Buffering"] = "no"
    return response
