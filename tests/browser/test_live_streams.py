"""Issue 11, point 10 in Chromium: the projector and the phones follow picks by server-sent events, without
polling; without EventSource, or refused a stream by a full server, they poll as before; a stream that
ends, or a server that restarts, is followed by a new stream (or polling) and the next pick shows."""
import pytest
from playwright.sync_api import expect

from matching import live
from matching.services import interest_set_ranking
from tests import factories
from tests.browser.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECTOR = {"width": 1920, "height": 1080}
TITLES = ["Iris flowers", "Wine cultivars", "Palmer penguins", "Handwritten digits", "Titanic passengers",
          "Heart disease"]


@pytest.fixture
def room(transactional_db):
    """Ada has ranked Iris flowers (alone on it); Bea has ranked nothing yet."""
    course = factories.CourseFactory(title="Machine Learning — Day 9")
    datasets = [factories.DatasetFactory(course=course, title=title, tags="biology") for title in TITLES]
    ada = factories.member(course, "Ada Phone", "ada@example.com")
    bea = factories.member(course, "Bea Picker", "bea@example.com")
    interest_set_ranking(membership=ada.memberships.get(), dataset_ids=[datasets[0].pk])
    return course, datasets, ada, bea


class Traffic:
    """What a page asks the server after it loaded: polls of its live fragment, and streams."""

    def __init__(self, page, poll: str, stream: str):
        self.polls: list[str] = []
        self.streams: list[str] = []
        self.poll, self.stream = poll, stream
        page.on("request", self._seen)

    def _seen(self, request) -> None:
        if self.stream in request.url:
            self.streams.append(request.url)
        elif self.poll in request.url and request.headers.get("x-live") == "1":
            self.polls.append(request.url)


def _projector(browser, base: str, course, *, init_script: str = ""):
    context = browser.new_context(viewport=PROJECTOR)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    traffic = Traffic(page, "/board/", "/stream/")
    page.goto(f"{base}/display/{course.display_token}/")
    expect(page.locator(".tile")).to_have_count(len(TITLES))
    return page, traffic


def _phone(browser, base: str, course, email: str, *, init_script: str = ""):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    log_in(page, base, email)
    traffic = Traffic(page, f"/c/{course.pk}/interests/", "/interests/stream/")
    page.goto(f"{base}/c/{course.pk}/interests/")
    return page, traffic


def _tile(page, title: str):
    """The tile of a dataset (by its title, not by a lonely tile's "Similar: …" suggestion)."""
    return page.locator(".tile").filter(has=page.locator(".tile__title").get_by_text(title, exact=True))


def test_a_pick_reaches_the_projector_and_a_phone_by_streams_without_polling(live_server, browser, room, look):
    course, datasets, ada, bea = room
    projector, on_projector = _projector(browser, live_server.url, course)
    phone, on_phone = _phone(browser, live_server.url, course, "ada@example.com")
    for page, traffic in ((projector, on_projector), (phone, on_phone)):
        page.wait_for_timeout(300)
        assert len(traffic.streams) == 1, traffic.streams

    # Bea picks a dataset Ada did not rank: the board and Ada's who-line follow, nothing is polled.
    interest_set_ranking(membership=bea.memberships.get(), dataset_ids=[datasets[3].pk])
    expect(_tile(projector, TITLES[3])).to_contain_text("Bea Picker", timeout=3000)
    expect(phone.locator(f'[data-who="{datasets[3].pk}"]')).to_have_text("1 interested: Bea Picker", timeout=3000)
    phone.wait_for_timeout(2500)  # longer than the phone's poll interval (2 s)
    assert on_projector.polls == [] and on_phone.polls == []
    look(projector, "1-projector-streamed")

    # Bea joins Ada's dataset: Ada's pick is no longer alone, so her page refetches itself once.
    interest_set_ranking(membership=bea.memberships.get(), dataset_ids=[datasets[3].pk, datasets[0].pk])
    expect(phone.locator(f'[data-who="{datasets[0].pk}"]')).to_have_text("2 interested: Ada Phone, Bea Picker",
                                                                        timeout=3000)
    expect(phone.locator(f'[data-who="{datasets[0].pk}"]')).to_have_attribute("data-count", "2")
    phone.wait_for_timeout(4000)  # the refetch waits up to 3 s so a class's phones do not ask at once
    assert len(on_phone.polls) == 1 and on_projector.polls == []
    expect(_tile(projector, TITLES[0])).to_contain_text("Bea Picker")
    # Ada's own action still works, and the stream goes on after it.
    phone.get_by_role("button", name=f"Add {TITLES[5]}").click()
    phone.locator(".ranking").get_by_text(TITLES[5]).wait_for()
    expect(_tile(projector, TITLES[5])).to_contain_text("Ada Phone", timeout=3000)
    look(phone, "2-phone-streamed")


@pytest.mark.reliability(46)
def test_without_eventsource_the_pages_poll_as_before(live_server, browser, room):
    course, datasets, ada, bea = room
    no_streams = "delete window.EventSource"
    projector, on_projector = _projector(browser, live_server.url, course, init_script=no_streams)
    phone, on_phone = _phone(browser, live_server.url, course, "ada@example.com", init_script=no_streams)
    interest_set_ranking(membership=bea.memberships.get(), dataset_ids=[datasets[2].pk])
    expect(_tile(projector, TITLES[2])).to_contain_text("Bea Picker", timeout=3000)
    expect(phone.locator(f'[data-who="{datasets[2].pk}"]')).to_have_text("1 interested: Bea Picker", timeout=6000)
    assert on_projector.streams == [] and on_phone.streams == []
    assert on_projector.polls and on_phone.polls


@pytest.mark.reliability(46)
def test_a_server_holding_too_many_streams_sends_the_pages_to_polling(live_server, browser, room, monkeypatch,
                                                                     console_errors):
    course, datasets, ada, bea = room
    monkeypatch.setattr(live.hub, "limit", 0)
    console_errors.allow("503")  # the refused stream, as the browser logs it
    console_errors.allow("text/event-stream")
    projector, on_projector = _projector(browser, live_server.url, course)
    phone, on_phone = _phone(browser, live_server.url, course, "ada@example.com")
    interest_set_ranking(membership=bea.memberships.get(), dataset_ids=[datasets[4].pk])
    expect(_tile(projector, TITLES[4])).to_contain_text("Bea Picker", timeout=3000)
    expect(phone.locator(f'[data-who="{datasets[4].pk}"]')).to_have_text("1 interested: Bea Picker", timeout=6000)
    assert len(on_projector.streams) == 1 and len(on_phone.streams) == 1  # asked once, refused, never again
    assert on_projector.polls and on_phone.polls
    expect(projector.locator(".display__status")).to_have_text("")  # nothing to alarm the room


@pytest.mark.reliability(45)
def test_a_stream_the_server_ends_is_followed_by_the_next_one_quietly(live_server, browser, room, monkeypatch):
    course, datasets, ada, bea = room
    monkeypatch.setattr(live, "stream_seconds", lambda: 1.0)
    projector, on_projector = _projector(browser, live_server.url, course)
    projector.wait_for_timeout(3500)
    assert len(on_projector.streams) >= 3  # each ended after a second with "bye", and the page asked again
    interest_set_ranking(membership=bea.memberships.get(), dataset_ids=[datasets[1].pk])
    expect(_tile(projector, TITLES[1])).to_contain_text("Bea Picker", timeout=3000)
    assert on_projector.polls == []
    expect(projector.locator(".display__status")).to_have_text("")


@pytest.mark.reliability(45)
def test_after_a_server_restart_the_projector_reconnects_and_shows_the_next_pick(app_server, browser, room,
                                                                                console_errors):
    course, datasets, ada, bea = room
    projector, on_projector = _projector(browser, app_server.url, course)
    projector.wait_for_timeout(300)
    assert len(on_projector.streams) == 1
    console_errors.allow("net::ERR_INCOMPLETE_CHUNKED_ENCODING")  # the stream cut by the killed server
    console_errors.allow("net::ERR_CONNECTION_REFUSED")  # the browser logs each refused reconnection
    app_server.stop()
    expect(projector.locator(".display__status")).to_contain_text("reconnecting", timeout=10000)
    app_server.start()
    interest_set_ranking(membership=bea.memberships.get(), dataset_ids=[datasets[4].pk])
    expect(_tile(projector, TITLES[4])).to_contain_text("Bea Picker", timeout=25000)
    expect(projector.locator(".display__status")).to_contain_text("Live again")
    # The whole board was redrawn, nothing appended.
    assert projector.locator(".tile").count() == len(TITLES)
