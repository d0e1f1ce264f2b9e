"""Issue #2's journey in a real browser: instructor sets up, student joins and ranks."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_sets_up_student_joins_and_ranks(live_server, browser, look):
    base = live_server.url

    # 1. The instructor signs up, creates a course and fills the catalog.
    teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_up(teacher, base, "prof@example.com")
    teacher.wait_for_url(f"{base}/")
    look(teacher, "1-instructor-home")
    teacher.get_by_label("Course title").fill("Machine Learning 101")
    teacher.get_by_role("button", name="Create course").click()
    code = teacher.get_by_label("Join code").inner_text().strip()
    assert len(code) == 6
    look(teacher, "2-course")
    teacher.get_by_role("link", name="Dataset catalog").click()
    teacher.get_by_role("link", name="Add built-in datasets").click()
    for title in ("Iris flowers", "Wine cultivars", "Palmer penguins", "Handwritten digits (8×8)"):
        teacher.get_by_label(title).check()
    look(teacher, "3-add-builtins")
    teacher.get_by_role("button", name="Add to the catalog").click()
    teacher.get_by_text("4 dataset(s) added").wait_for()
    look(teacher, "4-catalog")

    # 2. A student on a phone signs up, joins with the code and ranks three datasets.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_up(phone, base, "stu@example.com")
    phone.get_by_label("Join code").fill(code.lower())
    phone.get_by_role("button", name="Join", exact=True).click()
    phone.wait_for_url(f"{base}/c/*/interests/")
    look(phone, "5-student-ranking-empty")
    for title in ("Palmer penguins", "Iris flowers", "Wine cultivars"):
        phone.get_by_role("button", name=f"Add {title}").click()
        phone.locator(".ranking").get_by_text(title).wait_for()
    items = phone.locator(".ranking__item strong").all_inner_texts()
    assert items == ["Palmer penguins", "Iris flowers", "Wine cultivars"]
    phone.get_by_role("button", name="Move up: Iris flowers").click()
    # (wait_for_function evaluates a string, which the page's CSP rightly forbids)
    expect(phone.locator(".ranking__item strong").first).to_have_text("Iris flowers")
    look(phone, "6-student-ranked")

    # 3. The instructor sees the ranking.
    teacher.get_by_role("link", name="Rankings").click()
    row = teacher.get_by_role("row", name="stu")
    assert row.get_by_role("cell").all_inner_texts() == ["Iris flowers", "Palmer penguins", "Wine cultivars"]
    look(teacher, "7-instructor-rankings")
