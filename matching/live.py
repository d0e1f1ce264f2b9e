"""The live board's server-sent events: one read per change, not per client.

Every process that holds streams runs one background thread. Every
TICK_SECONDS it reads the live version of every course someone in the process
is watching — one indexed query, however many streams and courses — and when a
course's version moved it builds that course's payloads ONCE (the projector's
board, the phones' who-lines: matching/live_payloads.py) and hands them to
every stream of the process. Streams wait without reading anything: a
threading.Condition under a WSGI server (runserver, the tests' live_server),
an asyncio.Event woken from the thread under ASGI (production,
courseproj/serving.py). When the last stream leaves, the thread stops and
forgets its payloads; the next stream builds them afresh.

A payload carries the whole state, and for phones also what changed since
the payload before it: a stream that saw the one before gets the short
version, a new or lagging one the whole state. Past MAX_STREAMS per process a
page is told to poll instead (503), and every stream ends after a few minutes
(the browser reconnects on its own), so nothing here lives forever.
"""
import asyncio
import logging
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import DatabaseError, connection

from courseproj.courses.models import Course

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.25
MAX_STREAMS = 2000
KEEPALIVE_SECONDS = 15
# A stream ends after this long plus up to a minute (so a class's phones do not reconnect together).
STREAM_SECONDS = 300
# A stream the server never started (its client left before the first byte) is forgotten after this.
UNSTARTED_SECONDS = 30

# What a stream shows: the projector's board, or a phone's who-lines (staff see names in anonymous mode).
BOARD, WHO, WHO_STAFF = "board", "who", "who-staff"

KEEPALIVE = b": keep-alive\n\n"

# How often a course's payloads may be rebuilt for a new version. The projector
# follows every tick; phones at most once a second (they polled every 2 s): at
# 300 students picking, a phone still sees a classmate's pick within a second,
# and 1,000 phones get a third of the events, which leaves the CPU to the picks.
MIN_REBUILD_SECONDS = {BOARD: 0.0, WHO: 1.0, WHO_STAFF: 1.0}


def event(name: str, data: str) -> bytes:
    """One server-sent event; every line of `data` becomes a data: line (the browser joins them with newlines)."""
    lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return (f"event: {name}\n" + "".join(f"data: {line}\n" for line in lines) + "\n").encode()


def retry_field() -> bytes:
    """How long the browser waits before reconnecting: 2–5 s, spread so a restart is not met by everyone at once."""
    return f"retry: {random.randint(2000, 5000)}\n\n".encode()


@dataclass(eq=False)
class Payload:
    """What a course's streams of one kind show, built once per change."""

    version: int
    full: bytes  # the event with the whole state
    diff: bytes | None = None  # what changed since the payload `base` (b"": nothing a page shows)
    base: int | None = None
    serial: int = 0  # set by the hub: which build this is (a countdown's end rebuilds the same version)
    token: str = ""  # the board: the projector link it is shown on
    expires: float | None = None  # time.time() when a running countdown ends: then rebuilt
    lines: dict = field(default_factory=dict)  # the phones' who-lines, to tell the next build what changed
    state: str = ""  # the phones' page state (matching/live_payloads.phone_state)
    gone: bool = False  # the course no longer exists: its streams end
    built: float = field(default_factory=time.monotonic)  # when: a phone payload is rebuilt at most once a second


class Stream:
    """One client's subscription: the hub wakes it, the response iterator asks the hub what to send."""

    def __init__(self, course_id: int, kind: str, token: str = ""):
        self.course_id, self.kind, self.token = course_id, kind, token
        self.key = (course_id, kind)
        self.sent: int | None = None  # serial of the last payload sent
        self.closed = False
        self.farewell = False  # ended by the server on purpose: say "bye" so the page reconnects quietly
        self.started = False
        self.created = time.monotonic()
        self._condition = threading.Condition()
        self._woken = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Under ASGI: the hub wakes this stream on its event loop from now on."""
        self.event = asyncio.Event()
        self.loop = loop

    def wake(self) -> None:
        """Sync waiters only (async ones are woken per loop by the hub)."""
        with self._condition:
            self._woken = True
            self._condition.notify()

    def wait(self, timeout: float) -> bool:
        """Block until woken or `timeout`; False when nothing happened (time for a keep-alive)."""
        with self._condition:
            if not self._woken:
                self._condition.wait(timeout)
            woken, self._woken = self._woken, False
        return woken or self.closed


def _set_all(events: list[asyncio.Event]) -> None:
    for waiting in events:
        waiting.set()


class Hub:
    """A process's streams and the one thread that reads for all of them."""

    def __init__(self, *, tick_seconds: float = TICK_SECONDS, limit: int = MAX_STREAMS, thread: bool = True):
        self.tick_seconds = tick_seconds
        self.limit = limit
        self.use_thread = thread
        self._lock = threading.Lock()  # the streams and the thread
        self._build_lock = threading.Lock()  # one build at a time: the thread's or a first subscriber's
        self._streams: dict[tuple[int, str], set[Stream]] = defaultdict(set)
        self._count = 0
        self._payloads: dict[tuple[int, str], Payload] = {}
        self._serial = 0
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Counters the tests and the bench read: version reads and payload builds.
        self.reads = 0
        self.builds = 0

    # --- streams -----------------------------------------------------------------------

    def subscribe(self, course_id: int, kind: str, *, token: str = "") -> Stream | None:
        """A new stream, its first payload ready (built here if the process had none); None when full."""
        stream = Stream(course_id, kind, token)
        with self._lock:
            if self._count >= self.limit or self._stopping:
                return None
            self._streams[stream.key].add(stream)
            self._count += 1
            if self.use_thread and self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name="courseproj-live-hub", daemon=True)
                self._thread.start()
        if stream.key not in self._payloads:
            try:
                self.tick(only=course_id)
            except DatabaseError:
                self.unsubscribe(stream)
                raise
        return stream

    def unsubscribe(self, stream: Stream) -> None:
        with self._lock:
            streams = self._streams.get(stream.key)
            if streams and stream in streams:
                streams.discard(stream)
                self._count -= 1
                if not streams:
                    del self._streams[stream.key]

    @property
    def count(self) -> int:
        return self._count

    def next_chunk(self, stream: Stream) -> bytes | None:
        """What this stream should send now (None: nothing new). Closes it when its course or link went away."""
        stream.started = True
        payload = self._payloads.get(stream.key)
        if payload is None or payload.serial == stream.sent:
            return None
        if payload.gone:
            stream.closed = True
            return None
        if stream.kind == BOARD and payload.token != stream.token:
            from matching.live_payloads import replaced_event

            stream.closed = True
            return replaced_event()
        chunk = payload.diff if payload.diff is not None and payload.base == stream.sent else payload.full
        stream.sent = payload.serial
        return chunk or None

    def end_all(self) -> None:
        """End every stream (a worker shutting down, a test's end): their browsers reconnect elsewhere."""
        with self._lock:
            streams = [s for group in self._streams.values() for s in group]
            self._stopping = True
        for stream in streams:
            stream.farewell = stream.closed = True
        self._wake(streams)

    # --- the reading thread ------------------------------------------------------------

    def tick(self, only: int | None = None) -> None:
        """One read of the watched courses' versions; build and hand out what changed.

        `only`: just that course (a first subscriber's payload, built in its own request).
        """
        from matching.live_payloads import build

        with self._build_lock:
            with self._lock:
                self._forget_unstarted()
                wanted: dict[int, set[str]] = defaultdict(set)
                for course_id, kind in self._streams:
                    if only is None or course_id == only:
                        wanted[course_id].add(kind)
                if only is None:
                    for key in [k for k in self._payloads if k not in self._streams]:
                        del self._payloads[key]
            if not wanted:
                return
            rows = dict((pk, (version, token)) for pk, version, token in Course.objects.filter(
                pk__in=list(wanted)).values_list("pk", "live_version", "display_token"))
            self.reads += 1
            now = time.time()
            for course_id, kinds in wanted.items():
                row = rows.get(course_id)
                stale = {kind for kind in kinds if self._stale((course_id, kind), row, now)}
                if not stale:
                    continue
                previous = {kind: self._payloads.get((course_id, kind)) for kind in stale}
                built = build(course_id, stale, previous) if row else {k: Payload(0, b"", gone=True) for k in stale}
                for kind, payload in built.items():
                    self._serial += 1
                    payload.serial = self._serial
                    self._payloads[(course_id, kind)] = payload
                    self.builds += 1
                with self._lock:
                    woken = [s for kind in built for s in self._streams.get((course_id, kind), ())]
                self._wake(woken)

    def _stale(self, key, row, now: float) -> bool:
        payload = self._payloads.get(key)
        if payload is None:
            return True
        if row is None:
            return not payload.gone
        version, token = row
        if payload.gone or (key[1] == BOARD and payload.token != token):
            return True
        if payload.expires is not None and now >= payload.expires:
            return True
        # A new version: rebuilt once this kind's interval since the last build has passed (a later tick).
        waited = time.monotonic() - payload.built
        return payload.version != version and waited >= MIN_REBUILD_SECONDS.get(key[1], 0.0)

    def _forget_unstarted(self) -> None:
        """Streams whose response never started (the client left first): their slot is freed. Under self._lock."""
        old = time.monotonic() - UNSTARTED_SECONDS
        for key in list(self._streams):
            for stream in [s for s in self._streams[key] if not s.started and s.created < old]:
                self._streams[key].discard(stream)
                self._count -= 1
            if not self._streams[key]:
                del self._streams[key]

    def _wake(self, streams) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Event]] = defaultdict(list)
        for stream in streams:
            if stream.loop is not None:
                by_loop[stream.loop].append(stream.event)
            else:
                stream.wake()
        for loop, events in by_loop.items():
            try:
                loop.call_soon_threadsafe(_set_all, events)
            except RuntimeError:  # the loop closed (a worker exiting)
                pass

    def _run(self) -> None:
        failures = 0
        try:
            while True:
                with self._lock:
                    if not self._count or self._stopping:
                        self._thread = None
                        self._payloads.clear()
                        return
                started = time.monotonic()
                try:
                    self.tick()
                    failures = 0
                except Exception:  # a database outage: keep the streams, try again, more slowly
                    failures += 1
                    logger.warning("live board read failed (%d in a row)", failures, exc_info=failures == 1)
                    connection.close()
                pause = self.tick_seconds if not failures else min(5.0, self.tick_seconds * 2 ** failures)
                time.sleep(max(0.0, pause - (time.monotonic() - started)))
        finally:
            connection.close()

    def stop(self, timeout: float = 5) -> None:
        """End every stream and wait for the thread to finish (tests)."""
        self.end_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._lock:
            self._streams.clear()
            self._count = 0
            self._payloads.clear()
            self._stopping = False


# The process's hub: the stream views use it.
hub = Hub()


def end_streams() -> None:
    """A worker shutting down ends its streams first (courseproj/serving.py)."""
    hub.end_all()


# --- the response bodies --------------------------------------------------------------


def stream_seconds() -> float:
    return STREAM_SECONDS + random.uniform(0, 60)


def sync_events(the_hub: Hub, stream: Stream, seconds: float):
    """The stream's body under a WSGI server: waits on a Condition, never reads the database."""
    try:
        yield retry_field()
        ends = time.monotonic() + seconds
        while True:
            chunk = the_hub.next_chunk(stream)
            if chunk:
                yield chunk
            left = ends - time.monotonic()
            if stream.closed or left <= 0:
                break
            if not stream.wait(min(KEEPALIVE_SECONDS, left)):
                yield KEEPALIVE
        if stream.farewell or not stream.closed:
            yield event("bye", "")  # a planned end: the page reconnects at once, without "connection lost"
    finally:
        the_hub.unsubscribe(stream)


async def async_events(the_hub: Hub, stream: Stream, seconds: float):
    """The stream's body under ASGI: waits on an asyncio.Event the hub sets from its thread."""
    loop = asyncio.get_running_loop()
    stream.bind(loop)
    try:
        yield retry_field()
        ends = loop.time() + seconds
        while True:
            stream.event.clear()
            chunk = the_hub.next_chunk(stream)
            if chunk:
                yield chunk
            left = ends - loop.time()
            if stream.closed or left <= 0:
                break
            try:
                await asyncio.wait_for(stream.event.wait(), timeout=min(KEEPALIVE_SECONDS, left))
            except asyncio.TimeoutError:
                yield KEEPALIVE
        if stream.farewell or not stream.closed:
            yield event("bye", "")
    finally:
        the_hub.unsubscribe(stream)
