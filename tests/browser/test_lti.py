"""Issue 14 in a real browser: launched from the test LMS, no sign-up; roster by Names and Roles; circles back as groups."""
import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from courseproj.lti.models import LtiCourseLink, LtiRosterMember
from tests.browser.conftest import PHONE
from tests.lti.canvas import FakeCanvas
from tests.lti.conftest import lti_platform, make_platform, register_tool  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-lti")
DESKTOP = {"width": 1920, "height": 1080}


def read_download(page, link_name: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.get_by_role("link", name=link_name).click()
    return list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))


def roster_rows():
    return sorted(LtiRosterMember.objects.values_list("sub", "name", "email", "status", "sis_user_id", "left_at"))


def test_launch_rank_sync_export_and_push_from_the_lms(live_server, browser, look, lti_platform, register_tool):
    base, lms = live_server.url, lti_platform
    SHOTS.mkdir(exist_ok=True)
    canvas = FakeCanvas.for_people(lms.members).start()
    try:
        register_tool(lms, base, canvas_url=canvas.url)
        custom = {"canvas_course_id": str(canvas.course_id)}

        # 1. The instructor opens courseproj from the LMS course: signed in, the course created and linked.
        teacher = browser.new_context(viewport=DESKTOP).new_page()
        teacher.goto(lms.launch_url(lms.instructor(), custom=custom))
        teacher.wait_for_url(f"{base}/c/*/")
        expect(teacher.get_by_text("is now linked to your LMS course")).to_be_visible()
        link = LtiCourseLink.objects.get()
        assert link.course.title == lms.context_title
        teacher.get_by_role("link", name="Datasets").first.click()
        teacher.get_by_role("link", name="Add built-in datasets").click()
        teacher.get_by_label("Iris flowers").check()
        teacher.get_by_label("Wine cultivars").check()
        teacher.get_by_role("button", name="Add to the catalog").click()
        teacher.get_by_text("2 dataset(s) added").wait_for()

        # 2. Two students open it from the LMS on their phones and rank without signing up.
        for n in (0, 1):
            phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
            phone.goto(lms.launch_url(lms.student(n), custom=custom))
            phone.wait_for_url(f"{base}/c/{link.course_id}/interests/")
            phone.get_by_role("button", name="Add Iris flowers").click()
            phone.locator(".ranking").get_by_text("Iris flowers").wait_for()
            if n == 0:
                phone.screenshot(path=str(SHOTS / "phone-student-ranked.png"), full_page=True)
                look(phone, "student-ranked")
            phone.context.close()

        # 3. Roster by Names and Roles: 250 members over 3 pages; syncing again gives the same rows.
        teacher.get_by_role("link", name="LMS").click()
        teacher.get_by_role("button", name="Sync the roster from the LMS").click()
        expect(teacher.get_by_text("Roster synced: 250 people over 3 pages, 5 left the course.")).to_be_visible()
        first = roster_rows()
        teacher.get_by_role("button", name="Sync the roster from the LMS").click()
        expect(teacher.locator("#roster-summary")).to_have_text("250 people from the LMS, 245 active, 5 left the course.")
        assert roster_rows() == first and len(first) == 250
        assert [r["page"] for r in lms.nrps_requests] == [1, 2, 3, 1, 2, 3]

        # 4. A published matching, exported as Canvas and Moodle files.
        teacher.get_by_role("link", name="Matching").click()
        teacher.get_by_role("button", name="Run the matcher").click()
        teacher.get_by_role("link", name="Publish to students…").click()
        teacher.get_by_role("button", name="Publish and email 2 students").click()
        teacher.get_by_role("link", name="LMS").click()
        teacher.screenshot(path=str(SHOTS / "desktop-lms-page.png"), full_page=True)
        look(teacher, "lms-page")
        students = [lms.student(0), lms.student(1)]
        canvas_rows = read_download(teacher, "Canvas group set (CSV)")
        assert canvas_rows[0] == ["name", "user_id", "group_name"]
        assert sorted(canvas_rows[1:]) == sorted([p.name, p.login_id, "Iris flowers"] for p in students)
        groups = read_download(teacher, "Moodle groups (CSV)")
        assert groups == [["groupname", "groupingname"], ["Iris flowers", "courseproj circles"]]
        members = read_download(teacher, "Moodle group members (CSV)")
        assert members[0] == ["username", "email", "course1", "group1"]
        assert sorted(members[1:]) == sorted([p.email.lower(), p.email.lower(), lms.context_label, "Iris flowers"] for p in students)

        # 5. Pushed to Canvas after a preview, twice: the same groups, no write the second time.
        teacher.get_by_role("link", name="Push to Canvas…").click()
        expect(teacher.get_by_role("heading", name="Iris flowers")).to_be_visible()
        teacher.screenshot(path=str(SHOTS / "desktop-canvas-preview.png"), full_page=True)
        for attempt in (1, 2):
            teacher.get_by_label("Canvas access token").fill(canvas.token)
            teacher.get_by_role("button", name="Push 1 group to Canvas").click()
            expect(teacher.get_by_text("Pushed to Canvas")).to_be_visible()
            if attempt == 1:
                state, writes = canvas.end_state(), len(canvas.writes())
        ids = {u["lti_1_3_id"]: u["id"] for u in canvas.users.values()}
        assert state == {"courseproj circles": {"Iris flowers": sorted(ids[p.user_id] for p in students)}}
        assert canvas.end_state() == state and len(canvas.writes()) == writes
        expect(teacher.get_by_text("0 groups created, 0 members added, 0 removed")).to_be_visible()
        look(teacher, "canvas-pushed")
    finally:
        canvas.stop()
