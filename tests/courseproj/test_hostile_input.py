"""Odd and hostile input to courses (issue 15): roster files, huge ids, join-code guessing, titles.

On PostgreSQL (the lead's run) the huge-id test shows the same: the path
converter refuses the id before any query is made.
"""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from courseproj.courses.limits import JOIN_WRONG_PER_ADDRESS, JOIN_WRONG_PER_USER
from courseproj.courses.models import Course, Membership, RosterEntry
from tests import factories
from tests.courseproj.test_outsiders import _walk

# --- the roster import: line endings and cell sizes the csv module refuses ---


def _post_roster(client, course, content: bytes):
    return client.post(
        reverse("roster_import", args=[course.pk]),
        {"file": SimpleUploadedFile("roster.csv", content, "text/csv")},
        follow=True,
    )


def test_a_roster_with_cr_only_line_endings_is_imported(client_for, course, instructor):
    """Excel for Mac's "CSV (Macintosh)": the committed code raised csv.Error, a 500."""
    response = _post_roster(client_for(instructor), course, b"Name,Email\rAda Park,ada@uni.edu\rBen Ok,ben@uni.edu\r")
    assert response.status_code == 200
    assert "2 added" in response.content.decode()
    assert RosterEntry.objects.get(email="ben@uni.edu").name == "Ben Ok"


def test_a_cr_inside_a_cell_is_a_roster_line_not_a_500(client_for, course, instructor):
    content = b'Name,Email\n"Ada\rPark",ada@uni.edu\nBen\rOk,ben@uni.edu\n'
    response = _post_roster(client_for(instructor), course, content)
    assert response.status_code == 200
    assert RosterEntry.objects.get(email="ada@uni.edu").name == "Ada Park"  # quoted: one cell
    # Unquoted, a CR ends the line: "Ben" has no email there, which the import reports.
    assert "is not an email address" in response.content.decode()


@pytest.mark.parametrize("size", [2_000, 200 * 1024])
def test_a_huge_cell_is_a_form_error_naming_the_line(client_for, course, instructor, size):
    """Over 128 KB the csv module raises csv.Error (a 500 on the committed code); over 1,000 characters we refuse."""
    content = b"Name,Email\nAda,ada@uni.edu\n" + b"x" * size + b",ben@uni.edu\n"
    response = _post_roster(client_for(instructor), course, content)
    assert response.status_code == 200
    assert "Line 3 has a cell longer than 1,000 characters" in response.content.decode()
    assert not RosterEntry.objects.exists()


# --- ids beyond the database's integer range ---------------------------------------


def _course_routes() -> list[str]:
    return [route for route, _, _ in _walk(get_resolver().url_patterns) if "<id:course_id>" in route]


@pytest.mark.parametrize("number", [2**63, 2**64, 10**19 - 1])
def test_every_course_url_with_an_id_beyond_64_bits_is_a_404(client_for, course, instructor, number):
    """SQLite raised "Python int too large to convert to SQLite INTEGER" (a 500) for 2^63 and above."""
    client = client_for(instructor)
    routes = _course_routes()
    assert len(routes) > 20
    for route in routes:
        path = "/" + re.sub(r"<id:\w+>", str(number), re.sub(r"<str:\w+>", "x", route))
        assert client.get(path).status_code == 404, path
        assert client.post(path).status_code == 404, path


def test_the_largest_id_is_still_a_plain_404(client_for, course, instructor):
    assert client_for(instructor).get(f"/c/{2**63 - 1}/").status_code == 404


# --- join codes: a class behind one NAT joins; a guesser is stopped --------------------

NAT = "203.0.113.7"


def _join(client, code: str, address: str = NAT):
    return client.post(reverse("join_by_code"), {"code": code}, REMOTE_ADDR=address, follow=True)


def test_300_students_behind_one_address_all_join(client, course):
    """A class joining from one school NAT address in the same minute, a few with typos first."""
    for n in range(300):
        client.force_login(factories.UserFactory())
        if n % 10 == 0:
            _join(client, "WRONG1")
        response = _join(client, course.join_code)
        assert "Welcome to" in response.content.decode(), n
    assert course.memberships.students().count() == 300


def test_20_wrong_codes_lock_the_user_out_even_with_the_right_code(client_for, course, student):
    outsider = factories.UserFactory()
    client = client_for(outsider)
    for n in range(JOIN_WRONG_PER_USER.amount):
        assert "No course has that join code" in _join(client, f"GUESS{n}").content.decode()
    page = _join(client, course.join_code).content.decode()
    assert "You entered 20 wrong join codes within an hour" in page
    assert not Membership.objects.filter(user=outsider).exists()


def test_200_wrong_codes_from_one_address_stop_guessing_from_it(client, course):
    for n in range(JOIN_WRONG_PER_ADDRESS.amount):
        client.force_login(factories.UserFactory())
        _join(client, f"GUESS{n}")
    client.force_login(factories.UserFactory())
    assert "200 wrong join codes came from your network" in _join(client, course.join_code).content.decode()
    # Another address is not affected.
    assert "Welcome to" in _join(client, course.join_code, address="198.51.100.9").content.decode()


def test_anonymous_join_links_count_as_guesses(client, course):
    for n in range(JOIN_WRONG_PER_ADDRESS.amount):
        client.get(reverse("join_link", args=[f"GUESS{n}"]), REMOTE_ADDR=NAT)
    page = client.get(reverse("join_link", args=[course.join_code]), REMOTE_ADDR=NAT, follow=True).content.decode()
    assert "200 wrong join codes came from your network" in page
    assert f"join {course.title}" not in page  # the right code is not confirmed to a guesser


# --- titles go into email headers: one line, no control characters ------------------------


@pytest.mark.parametrize("title", ["ML\n101", "ML\r\nBcc: x@evil.test", "ML\x00101", "ML\x85101"])
def test_a_course_title_with_a_line_break_is_refused(client_for, course, instructor, title):
    client = client_for(instructor)
    client.post(reverse("course_create"), {"title": title})
    assert not Course.objects.exclude(pk=course.pk).exists()
    data = {"title": title, "ranking_size": 3, "min_circle_size": 2, "max_circle_size": ""}
    page = client.post(reverse("course_settings", args=[course.pk]), data).content.decode()
    assert "Write it on one line" in page or "Null characters are not allowed" in page  # Django's own check on NUL
    course.refresh_from_db()
    assert course.title == "ML 101"


@pytest.mark.parametrize("title", ["Mini\nproject", "Mini\rproject", "Mini\u2028project"])
def test_an_assignment_or_milestone_title_with_a_line_break_is_refused(db, title):
    from courseproj.planner.forms import AssignmentForm, MilestoneForm

    data = {"title": title, "launch_on": "2026-03-02", "checkin_on": "2026-03-16", "due_on": "2026-03-30"}
    form = AssignmentForm(data)
    assert not form.is_valid() and "Write it on one line" in str(form.errors["title"])
    milestone = MilestoneForm({"title": title, "due_on": "2026-03-30"})
    assert not milestone.is_valid() and "title" in milestone.errors
