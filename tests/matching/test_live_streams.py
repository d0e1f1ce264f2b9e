"""The live board's server-sent events (matching/live.py): one read and one build per change, whatever
the number of streams; streams that say what the pages say; outsiders, replaced links and full servers."""
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseproj.courses.services import live_touch
from matching import live, services
from matching.live import BOARD, WHO, WHO_STAFF, Hub
from matching.models import Activity
from tests import factories


@pytest.fixture
def catalog(course):
    return [factories.DatasetFactory(course=course, title=t, tags="biology") for t in ("Iris", "Wine", "Digits")]


@pytest.fixture(autouse=True)
def rebuild_at_every_tick(monkeypatch):
    """The hub's tests tick by hand: phone payloads are rebuilt at each tick, not once a second
    (test_phones_are_rebuilt_at_most_once_a_second_the_projector_at_every_tick checks the real intervals)."""
    monkeypatch.setattr(live, "MIN_REBUILD_SECONDS", {BOARD: 0.0, WHO: 0.0, WHO_STAFF: 0.0})


@pytest.fixture
def hub(monkeypatch):
    """A hub without its thread: the test ticks it, on the test's own database connection."""
    the_hub = Hub(thread=False)
    monkeypatch.setattr(live, "hub", the_hub)
    return the_hub


def _pick(course, user, *datasets):
    services.interest_set_ranking(membership=user.memberships.get(course=course), dataset_ids=[d.pk for d in datasets])


def _data(chunk: bytes) -> tuple[str, str]:
    """(event name, data) of one server-sent event."""
    text = chunk.decode()
    name = re.search(r"^event: (.*)$", text, re.M).group(1)
    return name, "\n".join(re.findall(r"^data: (.*)$", text, re.M))


# --- the hub -------------------------------------------------------------------------------


def test_one_version_read_per_tick_and_one_build_per_change_whatever_the_number_of_streams(course, catalog, student,
                                                                                          classmate):
    one, many = Hub(thread=False), Hub(thread=False)
    lone = one.subscribe(course.pk, BOARD, token=course.display_token)
    streams = [many.subscribe(course.pk, BOARD, token=course.display_token) for _ in range(50)]
    # The first stream built the payload; the other 49 got it without a read.
    assert (many.reads, many.builds) == (1, 1)
    first = [many.next_chunk(s) for s in streams]
    assert all(chunk is first[0] for chunk in first) and _data(first[0])[0] == "board"
    one.next_chunk(lone)

    with CaptureQueriesContext(connection) as quiet:
        many.tick()
    assert len(quiet) == 1 and (many.reads, many.builds) == (2, 1)  # nothing changed: one read, no build
    assert all(many.next_chunk(s) is None for s in streams)

    _pick(course, classmate, catalog[1])
    with CaptureQueriesContext(connection) as for_one:
        one.tick()
    with CaptureQueriesContext(connection) as for_fifty:
        many.tick()
    assert len(for_fifty) == len(for_one)  # the reads do not grow with the streams
    assert many.builds == 2
    changed = [many.next_chunk(s) for s in streams]
    assert all(chunk is changed[0] for chunk in changed)
    assert "Cleo Classmate" in _data(changed[0])[1]


def test_phones_get_whole_who_lines_first_then_only_what_changed(course, catalog, student, classmate):
    hub = Hub(thread=False)
    steady, lagging = hub.subscribe(course.pk, WHO), hub.subscribe(course.pk, WHO)
    first = json.loads(_data(hub.next_chunk(steady))[1])
    assert set(first["who"]) == {str(d.pk) for d in catalog} and first["who"][str(catalog[0].pk)] == [0, "Nobody yet"]

    _pick(course, classmate, catalog[0])
    hub.tick()
    diff = json.loads(_data(hub.next_chunk(steady))[1])
    assert diff["who"] == {str(catalog[0].pk): [1, "1 interested: Cleo Classmate"]}
    assert diff["version"] > first["version"] and diff["state"] == first["state"]
    # A stream that never sent the payload before gets the whole state, not a diff it could not apply.
    whole = json.loads(_data(hub.next_chunk(lagging))[1])
    assert set(whole["who"]) == {str(d.pk) for d in catalog}

    # A change that no who-line shows (a student's own order): built once, nothing sent.
    _pick(course, classmate, catalog[0], catalog[1])
    hub.tick()
    assert list(json.loads(_data(hub.next_chunk(steady))[1])["who"]) == [str(catalog[1].pk)]
    builds = hub.builds
    _pick(course, classmate, catalog[1], catalog[0])
    hub.tick()
    assert hub.builds == builds + 1 and hub.next_chunk(steady) is None


def test_phones_are_rebuilt_at_most_once_a_second_the_projector_at_every_tick(course, catalog, student, classmate,
                                                                              monkeypatch):
    monkeypatch.setattr(live, "MIN_REBUILD_SECONDS", {BOARD: 0.0, WHO: 1.0, WHO_STAFF: 1.0})
    hub = Hub(thread=False)
    phone, projector = hub.subscribe(course.pk, WHO), hub.subscribe(course.pk, BOARD, token=course.display_token)
    hub.next_chunk(phone), hub.next_chunk(projector)

    _pick(course, classmate, catalog[0])
    hub.tick()
    assert "Cleo Classmate" in _data(hub.next_chunk(projector))[1]  # at once
    assert hub.next_chunk(phone) is None  # not yet: the phone's payload is younger than a second

    hub._payloads[(course.pk, WHO)].built -= 1.0  # a second later
    hub.tick()
    assert json.loads(_data(hub.next_chunk(phone))[1])["who"] == {str(catalog[0].pk): [1, "1 interested: Cleo Classmate"]}


def test_anonymous_courses_send_students_counts_and_staff_names(course, catalog, student, classmate):
    services.course_set_anonymous(course=course, anonymous=True)
    _pick(course, classmate, catalog[0])
    hub = Hub(thread=False)
    students, staff = hub.subscribe(course.pk, WHO), hub.subscribe(course.pk, WHO_STAFF)
    assert json.loads(_data(hub.next_chunk(students))[1])["who"][str(catalog[0].pk)] == [1, "1 interested"]
    assert "Cleo Classmate" in _data(hub.next_chunk(staff))[1]
    board = Hub(thread=False)
    assert "Cleo Classmate" not in _data(board.next_chunk(board.subscribe(course.pk, BOARD,
                                                                           token=course.display_token)))[1]


def test_a_process_holds_at_most_its_limit_of_streams(course, catalog):
    hub = Hub(thread=False, limit=2)
    first, second = hub.subscribe(course.pk, BOARD), hub.subscribe(course.pk, WHO)
    assert first and second and hub.subscribe(course.pk, WHO) is None
    hub.unsubscribe(first)
    assert hub.subscribe(course.pk, WHO) is not None and hub.count == 2


def test_a_replaced_link_or_a_deleted_course_ends_the_stream(course, catalog):
    hub = Hub(thread=False)
    projector = hub.subscribe(course.pk, BOARD, token=course.display_token)
    phone = hub.subscribe(course.pk, WHO)
    hub.next_chunk(projector), hub.next_chunk(phone)
    services.activity_replace_display_link(course=course)
    hub.tick()
    name, data = _data(hub.next_chunk(projector))
    assert name == "replaced" and "This projector link was replaced" in data and projector.closed
    course.delete()
    hub.tick()
    assert hub.next_chunk(phone) is None and phone.closed


def test_a_countdown_running_out_rebuilds_the_board_without_a_new_version(course, catalog):
    Activity.objects.create(course=course, is_open=True, ends_at=timezone.now() + timedelta(seconds=1))
    live_touch(course_id=course.pk)
    hub = Hub(thread=False)
    stream = hub.subscribe(course.pk, BOARD, token=course.display_token)
    assert "Picks are closed" not in _data(hub.next_chunk(stream))[1]
    time.sleep(1.1)
    hub.tick()
    assert "Picks are closed" in _data(hub.next_chunk(stream))[1]


def test_the_thread_reads_while_someone_listens_and_stops_when_nobody_does(transactional_db, course, catalog,
                                                                          classmate):
    hub = Hub(tick_seconds=0.05)
    stream = hub.subscribe(course.pk, BOARD, token=course.display_token)
    assert hub._thread is not None
    hub.next_chunk(stream)
    _pick(course, classmate, catalog[2])
    deadline = time.monotonic() + 5
    chunk = None
    while chunk is None and time.monotonic() < deadline:
        stream.wait(0.5)
        chunk = hub.next_chunk(stream)
    assert chunk and "Cleo Classmate" in _data(chunk)[1]
    hub.unsubscribe(stream)
    deadline = time.monotonic() + 5
    while hub._thread is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub._thread is None and hub._payloads == {}
    reads = hub.reads
    time.sleep(0.2)
    assert hub.reads == reads  # nobody listens: nothing is read


# --- the views ------------------------------------------------------------------------------


def _events(response, count: int) -> list[tuple[str, str]]:
    """The first `count` events of a stream (the retry field comes first and is skipped), then close it
    as the server does when the browser leaves."""
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"retry: ")
    events = [_data(next(chunks)) for _ in range(count)]
    response._iterator.close()  # the test client's closing wrapper: closes the response, keeps the test's connection
    return events


def test_the_projector_stream_starts_with_the_current_board(client, hub, course, catalog, student):
    _pick(course, student, catalog[0])
    response = client.get(reverse("display_stream", args=[course.display_token]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache" and response["X-Accel-Buffering"] == "no"
    assert "Content-Encoding" not in response
    [(name, data)] = _events(response, 1)
    board = client.get(reverse("display_board", args=[course.display_token]), HTTP_X_LIVE="1").content.decode()
    assert name == "board" and "Sam Student" in data
    # The same fragment as a poll.
    assert data.strip("\n") == board.strip("\n")
    assert hub.count == 0  # closing the response ended the subscription


def test_a_wrong_projector_link_has_no_stream_and_a_replaced_one_says_so_and_ends(client, hub, course, catalog):
    assert client.get(reverse("display_stream", args=["not-the-token"])).status_code == 404
    old = course.display_token
    services.activity_replace_display_link(course=course)
    response = client.get(reverse("display_stream", args=[old]))
    chunks = list(response.streaming_content)
    assert len(chunks) == 2 and _data(chunks[1])[0] == "replaced"
    assert "This projector link was replaced" in _data(chunks[1])[1] and hub.count == 0


def test_the_phone_stream_is_for_members_only(client, client_for, hub, course, catalog, outsider):
    url = reverse("interests_stream", args=[course.pk])
    assert client.get(url).status_code == 302  # to the login page
    assert client_for(outsider).get(url).status_code == 404
    assert hub.count == 0


def test_the_phone_stream_says_what_the_page_says(client_for, hub, course, catalog, student, classmate):
    _pick(course, classmate, catalog[1])
    _pick(course, student, catalog[0])
    client = client_for(student)
    page = client.get(reverse("interests", args=[course.pk])).content.decode()
    [(name, data)] = _events(client.get(reverse("interests_stream", args=[course.pk])), 1)
    payload = json.loads(data)
    assert name == "who"
    assert payload["state"] == re.search(r'data-live-state="([^"]+)"', page).group(1)
    lines = dict(re.findall(r'<div class="who" data-who="(\d+)"[^>]*>(.*?)</div>', page, re.S))
    assert set(lines) == {str(d.pk) for d in catalog}
    for dataset_id, html in lines.items():
        assert payload["who"][dataset_id][1] == html.strip()
    assert 'data-who="%d" data-count="1" data-ranked' % catalog[0].pk in page


def test_the_page_state_moves_when_picks_close_or_the_catalog_changes(client_for, course, catalog, student,
                                                                        instructor):
    client = client_for(student)

    def state():
        page = client.get(reverse("interests", args=[course.pk])).content.decode()
        return re.search(r'data-live-state="([^"]+)"', page).group(1)

    before = state()
    services.course_set_interests_locked(course=course, locked=True)
    locked = state()
    factories.DatasetFactory(course=course, title="Penguins")
    assert len({before, locked, state()}) == 3


def test_the_anonymous_course_stream_names_nobody_to_students(client_for, hub, course, catalog, student, classmate,
                                                               instructor):
    services.course_set_anonymous(course=course, anonymous=True)
    _pick(course, classmate, catalog[0])
    [(_, data)] = _events(client_for(student).get(reverse("interests_stream", args=[course.pk])), 1)
    assert "Cleo" not in data and json.loads(data)["who"][str(catalog[0].pk)][0] == 1


@pytest.mark.reliability(46)
def test_a_full_process_answers_503_and_the_page_polls(client, hub, course, catalog):
    hub.limit = 0
    response = client.get(reverse("display_stream", args=[course.display_token]))
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "polls instead" in response.content.decode()
    # The page still has its polling URL, which answers as before.
    assert client.get(reverse("display_board", args=[course.display_token]), HTTP_X_LIVE="1").status_code == 200


def test_a_stream_holds_no_database_connection(transactional_db, client, hub, course, catalog):
    response = client.get(reverse("display_stream", args=[course.display_token]))
    assert connection.connection is None  # closed by the view, before the first byte
    _events(response, 1)


def test_under_asgi_the_stream_is_asynchronous_and_follows_a_pick(transactional_db, hub, course, catalog, student):
    async def first_events():
        response = await AsyncClient().get(reverse("display_stream", args=[course.display_token]))
        assert response["Content-Type"] == "text/event-stream"
        chunks = aiter(response.streaming_content)  # an async iterator: Django would buffer a sync one whole
        retry, board = await anext(chunks), await anext(chunks)
        await chunks.aclose()
        return retry, board

    # On a thread of its own: after the browser tests, Playwright's sync API keeps an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        retry, board = thread.submit(async_to_sync(first_events)).result(timeout=60)
    assert retry.startswith(b"retry: ") and _data(board)[0] == "board"
    assert hub.count == 0
