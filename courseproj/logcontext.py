"""Which request or which job a log line belongs to: ids on every record.

The middleware gives each request an id (a proxy's X-Request-ID when it looks
like one, else a new one) and returns it in the response; the profiling task
sets the job id while it runs. A logging filter copies both onto every
record, so `grep job=42` follows one job across web and worker logs.
"""
import logging
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")
job_id: ContextVar[str] = ContextVar("job_id", default="-")
# Only short plain ids are taken from a client: nothing that could forge a log line.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.job_id = job_id.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        current = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex[:16]
        token = request_id.set(current)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = current
        return response


@contextmanager
def job_context(job: int):
    token = job_id.set(str(job))
    try:
        yield
    finally:
        job_id.reset(token)
