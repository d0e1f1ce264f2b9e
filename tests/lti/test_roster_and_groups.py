"""The roster by Names and Roles (all pages, idempotent, leavers marked) and the circles back to the LMS (CSV files, Canvas push)."""
import csv
import io

import pytest
from django.urls import reverse

from courseproj.courses.models import Membership, RosterEntry
from courseproj.courses.selectors import roster_not_joined
from courseproj.lti import services
from courseproj.lti.models import CanvasPush, LtiCourseLink, LtiRosterMember
from matching.models import MatchRun
from tests import factories
from tests.lti.launching import launch


def roster_rows(link):
    members = LtiRosterMember.objects.filter(link=link).order_by("sub")
    return [(m.sub, m.name, m.email, tuple(m.roles), m.status, m.sis_user_id, m.left_at is None) for m in members]


@pytest.fixture
def linked(client, tool):
    """The instructor launched: the course is linked; the client is signed in as the instructor."""
    launch(client, tool, tool.instructor(), custom={"canvas_course_id": "4242"})
    return LtiCourseLink.objects.select_related("course").get()


def test_roster_sync_reads_250_members_over_3_pages_and_twice_gives_the_same(linked, tool):
    first = services.roster_sync(link=linked)
    assert (first.error, first.pages, first.members, first.left) == ("", 3, 250, 5)
    rows, entries = roster_rows(linked), sorted(RosterEntry.objects.values_list("email", "name", "source", "left_at"))
    assert len(rows) == 250 and len(entries) == 244  # the students (instructors and TAs are not "expected")
    second = services.roster_sync(link=linked)
    assert (second.pages, second.members, second.left) == (3, 250, 5)
    assert roster_rows(linked) == rows
    assert sorted(RosterEntry.objects.values_list("email", "name", "source", "left_at")) == entries
    assert [r["page"] for r in tool.nrps_requests] == [1, 2, 3, 1, 2, 3]


def test_not_joined_uses_the_synced_roster_and_leaves_out_who_left(client, linked, tool):
    services.roster_sync(link=linked)
    assert len(roster_not_joined(course=linked.course)) == 239  # 244 students, 5 inactive in the LMS
    client.logout()
    launch(client, tool, tool.student(0))
    assert len(roster_not_joined(course=linked.course)) == 238


def test_people_who_left_are_marked_not_deleted(linked, tool):
    services.roster_sync(link=linked)
    gone = tool.student(1)
    tool.members.remove(gone)
    sync = services.roster_sync(link=linked)
    assert sync.members == 249 and sync.left == 6
    member = LtiRosterMember.objects.get(link=linked, sub=gone.user_id)
    assert member.left_at is not None
    assert RosterEntry.objects.get(email=gone.email.lower()).left_at is not None
    tool.members.append(gone)  # back again
    services.roster_sync(link=linked)
    member.refresh_from_db()
    assert member.left_at is None


def test_a_refused_roster_token_is_reported(linked, tool):
    tool.tool_jwks = {"keys": []}
    sync = services.roster_sync(link=linked)
    assert "access token" in sync.error and LtiRosterMember.objects.count() == 0


def test_staff_sync_button(client, linked):
    response = client.post(reverse("lti_roster_sync", args=[linked.course_id]), follow=True)
    assert b"Roster synced: 250 people over 3 pages, 5 left the course." in response.content
    page = client.get(reverse("lti_course", args=[linked.course_id]))
    assert b"250 people from the LMS, 245 active, 5 left the course." in page.content


# --- circles back to the LMS ---


@pytest.fixture
def published(client, linked, tool):
    """Four students launched and a published matching puts them in two circles."""
    course = linked.course
    iris = factories.DatasetFactory(course=course, title="Iris")
    wine = factories.DatasetFactory(course=course, title="Wine")
    students = [tool.student(n) for n in range(4)]
    for person in students:
        client.logout()
        launch(client, tool, person)
    ids = [str(Membership.objects.get(course=course, user__email=p.email.lower()).user_id) for p in students]
    run = MatchRun.objects.create(
        course=course, status="published", min_size=2,
        result={"assignments": {ids[0]: str(iris.pk), ids[1]: str(iris.pk), ids[2]: str(wine.pk), ids[3]: str(wine.pk)},
                "circles": {str(iris.pk): ids[:2], str(wine.pk): ids[2:]}},
    )
    client.logout()
    launch(client, tool, tool.instructor())
    services.roster_sync(link=linked)
    return run, students


def read_csv(response):
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_canvas_csv_has_group_name_and_the_user_column_the_roster_provides(client, published):
    run, students = published
    rows = read_csv(client.get(reverse("lti_export_canvas", args=[run.course_id, run.pk])))
    assert rows[0] == ["name", "user_id", "group_name"]
    assert sorted(rows[1:]) == sorted(
        [[p.name, p.login_id, "Iris"] for p in students[:2]] + [[p.name, p.login_id, "Wine"] for p in students[2:]]
    )


def test_moodle_csvs_have_groups_and_members(client, published, tool):
    run, students = published
    groups = read_csv(client.get(reverse("lti_export_moodle_groups", args=[run.course_id, run.pk])))
    assert groups == [["groupname", "groupingname"], ["Iris", "courseproj circles"], ["Wine", "courseproj circles"]]
    members = read_csv(client.get(reverse("lti_export_moodle_members", args=[run.course_id, run.pk])))
    assert members[0] == ["username", "email", "course1", "group1"]
    assert sorted(members[1:]) == sorted(
        [[p.email.lower(), p.email.lower(), tool.context_label, "Iris"] for p in students[:2]]
        + [[p.email.lower(), p.email.lower(), tool.context_label, "Wine"] for p in students[2:]]
    )


def test_a_draft_run_is_not_exported(client, published):
    run, _ = published
    MatchRun.objects.filter(pk=run.pk).update(status="draft")
    assert client.get(reverse("lti_export_canvas", args=[run.course_id, run.pk])).status_code == 404


def test_a_student_cannot_export(client, published, tool):
    run, _ = published
    client.logout()
    launch(client, tool, tool.student(0))
    assert client.get(reverse("lti_export_canvas", args=[run.course_id, run.pk])).status_code == 403


def test_canvas_push_twice_gives_the_same_groups(client, published, fake_canvas, tool):
    from courseproj.lti.models import CanvasSite

    run, students = published
    CanvasSite.objects.create(registration=LtiCourseLink.objects.get().deployment.registration, base_url=fake_canvas.url)
    preview = client.get(reverse("lti_canvas_preview", args=[run.course_id, run.pk]))
    assert b"Push 2 groups to Canvas" in preview.content and students[0].name.encode() in preview.content
    url = reverse("lti_canvas_push", args=[run.course_id, run.pk])
    first = client.post(url, {"token": fake_canvas.token}, follow=True)
    assert b"2 groups created, 4 members added, 0 removed" in first.content
    state, writes = fake_canvas.end_state(), len(fake_canvas.writes())
    canvas_id = {u["lti_1_3_id"]: u["id"] for u in fake_canvas.users.values()}
    assert state == {"courseproj circles": {
        "Iris": sorted(canvas_id[p.user_id] for p in students[:2]),
        "Wine": sorted(canvas_id[p.user_id] for p in students[2:]),
    }}
    second = client.post(url, {"token": fake_canvas.token}, follow=True)
    assert b"0 groups created, 0 members added, 0 removed" in second.content
    assert fake_canvas.end_state() == state and len(fake_canvas.writes()) == writes
    assert CanvasPush.objects.count() == 2
    assert fake_canvas.token not in str(list(CanvasPush.objects.values()))


def test_canvas_push_with_a_bad_token_says_so(client, published, fake_canvas):
    from courseproj.lti.models import CanvasSite

    run, _ = published
    CanvasSite.objects.create(registration=LtiCourseLink.objects.get().deployment.registration, base_url=fake_canvas.url)
    response = client.post(reverse("lti_canvas_push", args=[run.course_id, run.pk]), {"token": "wrong"}, follow=True)
    assert b"refused the access token" in response.content and CanvasPush.objects.count() == 0
