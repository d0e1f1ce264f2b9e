"""Issue 13 in a real browser: publish, a late joiner ranks, re-run with 0 moves, the late joiner gets a
circle, nobody else moved, and the late joiner reads why they got their dataset."""
import pytest
from playwright.sync_api import expect

from matching.models import MatchRun, RunStatus
from matching.services import interest_set_ranking
from tests import factories
from tests.browser.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PROJECTOR = {"width": 1920, "height": 1080}


def _publish(teacher, students: int):
    teacher.get_by_role("link", name="Publish to students…").click()
    expect(teacher.get_by_role("heading", name="Publish the matching?")).to_be_visible()
    teacher.get_by_role("button", name=f"Publish and email {students} student{'s' if students != 1 else ''}").click()
    expect(teacher.get_by_text("Published: students see their circle")).to_be_visible()


def test_a_late_joiner_is_placed_without_moving_anyone_and_reads_why(live_server, browser, look):
    course = factories.CourseFactory(title="ML Day 9")
    factories.member(course, "Ivy Instructor", "ivy@example.com", role="instructor")
    titles = ["Iris flowers", "Wine cultivars", "Palmer penguins", "Handwritten digits"]
    datasets = {t: factories.DatasetFactory(course=course, title=t) for t in titles}
    lists = {
        "Ada": ["Iris flowers", "Wine cultivars"], "Ben": ["Iris flowers", "Palmer penguins"],
        "Cleo": ["Wine cultivars", "Iris flowers"], "Dev": ["Palmer penguins", "Iris flowers"],
        "Eve": ["Handwritten digits", "Wine cultivars"], "Finn": ["Iris flowers"],
    }
    for name, picks in lists.items():
        user = factories.member(course, name, f"{name.lower()}@example.com")
        interest_set_ranking(membership=user.memberships.get(), dataset_ids=[datasets[t].pk for t in picks])

    teacher = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(teacher, live_server.url, "ivy@example.com")
    teacher.goto(f"{live_server.url}/c/{course.pk}/matching/")
    teacher.get_by_role("button", name="Run the matcher").click()
    expect(teacher.get_by_text("share their dataset with a classmate")).to_be_visible()
    _publish(teacher, 6)
    published = MatchRun.objects.get(course=course, status=RunStatus.PUBLISHED)

    projector = browser.new_context(viewport=PROJECTOR).new_page()
    projector.goto(f"{live_server.url}/display/{course.display_token}/")
    expect(projector.get_by_role("heading", name="Published circles")).to_be_visible()
    look(projector, "1-projector-published")

    # Lia joins after the publishing and ranks on her phone: Handwritten digits (only Eve wanted it), then Iris.
    lia = factories.member(course, "Lia Late", "lia@example.com")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, live_server.url, "lia@example.com")
    phone.goto(f"{live_server.url}/c/{course.pk}/interests/")
    for title in ("Handwritten digits", "Iris flowers"):
        phone.get_by_role("button", name=f"Add {title}").click()
        expect(phone.locator(".ranking")).to_contain_text(title)
    expect(phone.get_by_role("button", name="I'll work on this even alone")).to_be_visible()
    look(phone, "0-late-joiner-ranked")

    teacher.goto(f"{live_server.url}/c/{course.pk}/matching/")
    teacher.get_by_label("Students who may move").fill("0")
    teacher.get_by_role("button", name="Re-run the matcher (keeps locks and published circles)").click()
    expect(teacher.get_by_text("Joined after publishing and placed (1): Lia Late")).to_be_visible()
    moved = teacher.locator(".quality div", has=teacher.get_by_text("Moved from the published circles"))
    expect(moved.locator("dd")).to_contain_text("0")
    look(teacher, "2-draft-with-late-joiner")
    draft = MatchRun.objects.get(course=course, status=RunStatus.DRAFT)
    before = published.result["assignments"]
    assert {s: draft.result["assignments"][s] for s in before} == before  # nobody else moved
    assert draft.result["assignments"][str(lia.pk)] == str(datasets["Iris flowers"].pk)

    teacher.get_by_role("link", name="Publish to students…").click()
    expect(teacher.get_by_text("Hello Lia Late")).to_be_visible()
    look(teacher, "3-publish-preview")
    teacher.get_by_role("button", name="Publish and email 1 student").click()
    expect(teacher.get_by_text("Published: students see their circle")).to_be_visible()

    phone.goto(f"{live_server.url}/c/{course.pk}/circle/")
    expect(phone.get_by_role("heading", name="Your dataset: Iris flowers")).to_be_visible()
    reason = phone.locator(".circle-reason")
    expect(reason).to_contain_text("Why this dataset:")
    text = reason.inner_text()
    assert not any(f" {d.pk}{end}" in text for d in datasets.values() for end in ",.")  # titles, never ids
    look(phone, "4-late-joiner-reads-why")
    expect(projector.get_by_text("Lia Late")).to_be_visible(timeout=5000)  # the projector follows the new publishing
