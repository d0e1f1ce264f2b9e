"""Issue #4 in a real browser: the instructor runs, moves, locks, re-runs and publishes; a student sees the circle."""
import pytest
from playwright.sync_api import expect

from matching.models import MatchRun, RunStatus
from matching.services import interest_set_ranking
from tests import factories
from tests.browser.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_adjusts_and_publishes_and_a_student_sees_the_circle(live_server, browser, look):
    course = factories.CourseFactory(title="ML Day 9")
    factories.member(course, "Ivy Instructor", "ivy@example.com", role="instructor")
    titles = ["Iris flowers", "Wine cultivars", "Palmer penguins", "Handwritten digits"]
    datasets = {t: factories.DatasetFactory(course=course, title=t) for t in titles}
    lists = {
        "Ada": ["Iris flowers", "Wine cultivars"], "Ben": ["Iris flowers", "Palmer penguins"],
        "Cleo": ["Wine cultivars", "Iris flowers"], "Dev": ["Palmer penguins", "Iris flowers"],
        "Eve": ["Handwritten digits", "Wine cultivars"], "Finn": ["Iris flowers"],
    }
    students = {}
    for name, picks in lists.items():
        students[name] = factories.member(course, name, f"{name.lower()}@example.com")
        interest_set_ranking(membership=students[name].memberships.get(), dataset_ids=[datasets[t].pk for t in picks])
    factories.member(course, "Gus Late", "gus@example.com")  # never ranks

    teacher = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(teacher, live_server.url, "ivy@example.com")
    teacher.goto(f"{live_server.url}/c/{course.pk}/matching/")
    teacher.get_by_role("button", name="Run the matcher").click()
    expect(teacher.get_by_text("share their dataset with a classmate")).to_be_visible()
    expect(teacher.get_by_text("Never ranked (1)")).to_be_visible()
    expect(teacher.locator("#unranked-heading + p + ul")).to_contain_text("Gus Late — no dataset")
    look(teacher, "1-first-run")
    first = MatchRun.objects.get(course=course)
    assert first.result["quality"]["violations"] == 0

    # Move Gus (who never ranked) into Eve's circle: previewed first, then a lock, and the matcher re-runs around it.
    teacher.get_by_role("link", name="Place Gus Late").click()
    teacher.get_by_label("Handwritten digits", exact=False).check()
    teacher.get_by_role("button", name="Show what changes").click()
    expect(teacher.get_by_role("columnheader", name="After the move")).to_be_visible()
    look(teacher, "1b-move-preview")
    teacher.get_by_role("button", name="Move and lock Gus Late").click()
    expect(teacher.get_by_text("Moved and locked")).to_be_visible()
    circle = teacher.locator(".circle", has=teacher.get_by_text("Handwritten digits", exact=True))
    expect(circle).to_contain_text("Gus Late")

    # Lock that circle, re-run: it holds.
    circle.get_by_role("button", name="Lock this circle").click()
    expect(teacher.get_by_text("Circle locked")).to_be_visible()
    teacher.get_by_role("button", name="Re-run the matcher (keeps locks)").click()
    circle = teacher.locator(".circle", has=teacher.get_by_text("Handwritten digits", exact=True))
    expect(circle).to_contain_text("Gus Late")
    expect(circle).to_contain_text("Eve")
    expect(circle.get_by_role("button", name="Unlock")).to_be_visible()
    look(teacher, "2-adjusted")

    teacher.get_by_role("link", name="Publish to students…").click()
    teacher.get_by_role("button", name="Publish and email 7 students").click()
    expect(teacher.get_by_text("Published: students see their circle")).to_be_visible()
    published = MatchRun.objects.get(course=course, status=RunStatus.PUBLISHED)
    look(teacher, "3-published")

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, live_server.url, "eve@example.com")
    phone.goto(f"{live_server.url}/c/{course.pk}/circle/")
    expect(phone.get_by_role("heading", name="Your dataset: Handwritten digits")).to_be_visible()
    expect(phone.get_by_text("Gus Late")).to_be_visible()
    assert published.result["assignments"][str(students["Eve"].pk)] == str(datasets["Handwritten digits"].pk)
    look(phone, "4-student-circle")
