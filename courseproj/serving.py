"""courseproj under gunicorn as an ASGI app: the live board's event streams beside the usual views.

A server-sent event stream is an open request that waits most of its life; a
sync worker would spend a whole process on each of 1,000 phones. So the web
runs `gunicorn -c deploy/gunicorn.conf.py courseproj.asgi:application` with
`Worker` below: uvicorn's event loop holds the streams, and the views, which
are all synchronous, run as before. Plain `uvicorn_worker.UvicornWorker` with
Django's ASGI handler gets four things wrong for this app, which this module
puts right:

- Django runs each request's synchronous code on a new thread, so each request
  opens its own database connection and a burst of 300 picks opens 300 at once.
  `ViewThreads` runs them on a few long-lived threads per process
  (`GUNICORN_THREADS`, default 2), one request at a time each, as the sync
  workers did, and their connections persist (`DATABASE_CONN_MAX_AGE`).
- Django's ASGI handler reads the whole body before any middleware: a 200 MB
  upload would be spooled to disk before UploadSizeLimitMiddleware refused it.
  A POST whose Content-Length is over the cap reaches Django with an empty
  body, so the middleware answers 413 at once and the connection is closed.
  A body sent in chunks, with no Content-Length, has no size to check before
  it is read: it is answered 411 (Length Required) unread. Browsers, LMSs
  and the app's own forms always send the length.
- uvicorn logs its own access line; `AccessLog` keeps gunicorn's format (the
  request id and the milliseconds, deploy/gunicorn.conf.py).
- A stopping worker (a deploy, `max_requests`) ends its event streams first:
  browsers reconnect to another worker at once instead of holding this one
  until the graceful timeout.
"""
import itertools
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import SafeAtoms
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

# The views' threads are named so: a stream view leaves their database connection open for the next request.
VIEW_THREAD_PREFIX = "courseproj-views"


class ViewThreads:
    """The app's synchronous code on `threads` long-lived threads; oversized bodies never read."""

    def __init__(self, app, *, threads: int):
        self.app = app
        self.executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{VIEW_THREAD_PREFIX}-{n}")
            for n in range(max(1, threads))
        ]
        self._next = itertools.cycle(self.executors)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _length_required(scope):
            await _answer_411(send)
            return
        if _over_the_upload_cap(scope):
            receive = _without_body(receive)
        # Django enters its own context per request; the outer one (this) decides the thread.
        async with ThreadSensitiveContext(executor=next(self._next)):
            await self.app(scope, receive, send)


def _over_the_upload_cap(scope) -> bool:
    if scope.get("method") != "POST":
        return False
    from django.conf import settings

    from datasets.middleware import FORM_OVERHEAD_BYTES

    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value) > settings.UPLOAD_MAX_BYTES + FORM_OVERHEAD_BYTES
            except ValueError:
                return False
    return False


def _length_required(scope) -> bool:
    """A request with a body (chunked) whose size is not announced."""
    names = {name for name, _ in scope.get("headers") or ()}
    return b"transfer-encoding" in names and b"content-length" not in names


async def _answer_411(send) -> None:
    body = b"Length Required: send the body with a Content-Length header.\n"
    await send({"type": "http.response.start", "status": 411, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _without_body(receive):
    """Django sees an empty body (the middleware answers from the header); what the client sends is dropped."""
    sent = False

    async def empty():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        while True:  # Django's disconnect listener: only the disconnect, never the rest of the body
            message = await receive()
            if message["type"] != "http.request":
                return message

    return empty


class AccessLog:
    """One access line per request in gunicorn's `access_log_format` (written when the response ends)."""

    def __init__(self, app, *, log, access_log_format: str):
        self.app = app
        self.log = log
        self.format = access_log_format

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        seen = {"status": 0, "bytes": 0, "headers": ()}

        async def observed(message):
            if message["type"] == "http.response.start":
                seen["status"], seen["headers"] = message["status"], message.get("headers") or ()
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body") or b"")
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self.log.info(self.format, SafeAtoms(_atoms(scope, seen, time.monotonic() - started)))


def _atoms(scope, seen: dict, seconds: float) -> dict:
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers") or ()}
    query = scope.get("query_string", b"").decode("latin-1")
    target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1") + (f"?{query}" if query else "")
    atoms = {
        "h": (scope.get("client") or ("-",))[0],
        "r": f"{scope.get('method')} {target} HTTP/{scope.get('http_version', '1.1')}",
        "m": scope.get("method"), "U": scope["path"], "q": query, "H": f"HTTP/{scope.get('http_version', '1.1')}",
        "s": seen["status"], "B": seen["bytes"], "b": str(seen["bytes"] or "-"),
        "f": headers.get("referer", "-"), "a": headers.get("user-agent", "-"),
        "T": int(seconds), "D": int(seconds * 1_000_000), "M": int(seconds * 1000), "L": f"{seconds:.6f}",
        "p": f"<{os.getpid()}>",
    }
    atoms.update({f"{{{name}}}i": value for name, value in headers.items()})
    atoms.update({f"{{{name.decode('latin-1').lower()}}}o": value.decode("latin-1") for name, value in seen["headers"]})
    return atoms


class _Server(Server):
    async def shutdown(self, sockets=None) -> None:
        from matching.live import end_streams

        # Stop accepting first, so the streams' browsers reconnect to the other workers.
        for server in self.servers:
            server.close()
        end_streams()
        await super().shutdown(sockets)


class Worker(UvicornWorker):
    """gunicorn's worker for courseproj: uvicorn with the app wrapped as above."""

    # Django does not speak ASGI's lifespan protocol; uvicorn's access line is replaced by AccessLog's.
    # No proxy headers: the client's address stays the peer's, as under the sync workers, and the
    # app alone decides which X-Forwarded-* to believe (DJANGO_BEHIND_PROXY, ALLAUTH_TRUSTED_PROXY_COUNT).
    CONFIG_KWARGS = {"loop": "auto", "http": "auto", "lifespan": "off", "access_log": False, "proxy_headers": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Requests still running after this are cancelled before gunicorn kills the process.
        self.config.timeout_graceful_shutdown = max(1, int(self.cfg.graceful_timeout) - 5)

    async def _serve(self) -> None:
        app = ViewThreads(self.wsgi, threads=self.cfg.threads)
        if self.cfg.accesslog:
            app = AccessLog(app, log=self.log.access_log, access_log_format=self.cfg.access_log_format)
        self.config.app = app
        server = _Server(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
