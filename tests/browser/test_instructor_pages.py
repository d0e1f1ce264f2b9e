"""Issue 11, points 7 and 8 on a phone: the new course's checklist, the review inbox and the matching editor.

An instructor checks the class from a phone as often as from a laptop: each
page must fit 390 px (nothing wider than the screen, so nothing to scroll
sideways), read by name, and pass axe.
"""
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courseproj.planner.models import PlanStatus
from matching.services import interest_set_ranking
from tests import factories
from tests.browser.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PROJECTOR = {"width": 1920, "height": 1080}


def _phone(browser, base, email):
    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(page, base, email)
    return page


def _sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than its screen (0: nothing to scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, PROJECTOR], ids=["phone", "desktop"])
def test_a_new_course_shows_its_next_steps_and_ticks_them_off(live_server, browser, look, viewport):
    course = factories.CourseFactory(title="ML Day 9")
    factories.member(course, "Ivy Instructor", "ivy@example.com", role="instructor")
    page = browser.new_context(viewport=viewport).new_page()
    log_in(page, live_server.url, "ivy@example.com")
    page.goto(f"{live_server.url}/c/{course.pk}/")
    steps = page.get_by_role("region", name="Next steps").locator("li")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_contain_text("Add datasets to the catalog")
    expect(steps.nth(0).get_by_role("link")).to_be_visible()  # a step to do is a link to where it is done
    assert _sideways_overflow(page) == 0
    look(page, "1-new-course")

    # Datasets and a student arrive: those two steps are ticked, the others still lead somewhere.
    factories.DatasetFactory(course=course, title="Iris flowers")
    factories.member(course, "Ada Lovelace", "ada@example.com")
    page.reload()
    expect(steps.nth(0)).to_contain_text("(done)")
    expect(steps.nth(2)).to_contain_text("(done)")
    expect(steps.nth(1).get_by_role("link", name="Create a project assignment")).to_be_visible()
    look(page, "2-two-done")

    # Everything done: the checklist goes away.
    factories.ProjectAssignmentFactory(course=course)
    page.goto(f"{live_server.url}/c/{course.pk}/activity/")
    page.get_by_role("button", name="Start the activity").click()
    expect(page.get_by_text("Activity started")).to_be_visible()
    page.goto(f"{live_server.url}/c/{course.pk}/")
    expect(page.get_by_role("region", name="Next steps")).to_have_count(0)


def test_the_review_inbox_on_a_phone_lists_every_assignment(live_server, browser, look):
    course = factories.CourseFactory(title="ML Day 9")
    factories.member(course, "Ivy Instructor", "ivy@example.com", role="instructor")
    homework = factories.ProjectAssignmentFactory(course=course, title="Homework 9 plan")
    project = factories.ProjectAssignmentFactory(course=course, title="Small-data mini-project")
    now = timezone.now()
    for minutes, (name, assignment) in enumerate([("Ada Lovelace", homework), ("Ben Okafor", project),
                                                  ("Chloé Dubois-Martin", project)]):
        student = factories.member(course, name, f"s{minutes}@example.com")
        factories.PlanFactory(assignment=assignment, student=student, status=PlanStatus.SUBMITTED,
                              submitted_at=now - datetime.timedelta(minutes=30 - minutes))

    page = _phone(browser, live_server.url, "ivy@example.com")
    page.goto(f"{live_server.url}/c/{course.pk}/dashboard/")
    inbox = page.get_by_role("region", name="Plans waiting for approval (3)")
    expect(inbox).to_contain_text("Of every assignment, oldest first.")
    items = inbox.locator("li")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("Ada Lovelace")  # the oldest first, whatever its assignment
    expect(items.nth(0)).to_contain_text("Homework 9 plan")
    expect(items.nth(2)).to_contain_text("Chloé Dubois-Martin")
    expect(items.nth(2)).to_contain_text("Small-data mini-project")
    assert _sideways_overflow(page) == 0
    look(page, "1-inbox-phone")

    # Filtered to one assignment, it says so.
    page.select_option("#assignment-switch", label="Homework 9 plan")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("region", name="Plans waiting for approval (1)")).to_contain_text("Of Homework 9 plan only.")
    assert _sideways_overflow(page) == 0


def test_the_matching_editor_fits_a_phone(live_server, browser, look):
    course = factories.CourseFactory(title="ML Day 9")
    factories.member(course, "Ivy Instructor", "ivy@example.com", role="instructor")
    titles = ["Iris flowers", "Wine cultivars", "Palmer penguins"]
    datasets = {t: factories.DatasetFactory(course=course, title=t) for t in titles}
    lists = {"Ada Lovelace": ["Iris flowers", "Wine cultivars"], "Ben Okafor": ["Iris flowers"],
             "Chloé Dubois-Martin": ["Wine cultivars", "Iris flowers"], "Dev Patel": ["Palmer penguins", "Iris flowers"]}
    for name, picks in lists.items():
        student = factories.member(course, name, f"{name.split()[0].lower()}@example.com")
        interest_set_ranking(membership=student.memberships.get(), dataset_ids=[datasets[t].pk for t in picks])

    page = _phone(browser, live_server.url, "ivy@example.com")
    page.goto(f"{live_server.url}/c/{course.pk}/matching/")
    page.get_by_role("button", name="Run the matcher").click()
    expect(page.get_by_text("share their dataset with a classmate")).to_be_visible()
    # Each student's rank in their circle reads on the phone, by name.
    circle = page.locator(".circle", has=page.get_by_text("Iris flowers", exact=True))
    expect(circle).to_contain_text("Ben Okafor")
    assert _sideways_overflow(page) == 0
    look(page, "1-editor-phone")
