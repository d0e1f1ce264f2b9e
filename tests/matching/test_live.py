"""The projector board and the live polls: cheap 304s, full state on change, nothing the course hides."""
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseproj.courses.services import course_join
from datasets.services import dataset_review
from matching import services
from matching.models import Activity
from matching.services import PICKS_CLOSED
from tests import factories


@pytest.fixture
def catalog(course):
    return [factories.DatasetFactory(course=course, title=t, tags="biology") for t in ("Iris", "Wine", "Digits")]


def _board(client, course, etag=None):
    headers = {"HTTP_X_LIVE": "1"} | ({"HTTP_IF_NONE_MATCH": etag} if etag else {})
    return client.get(reverse("display_board", args=[course.display_token]), **headers)


def _pick(course, user, *datasets):
    services.interest_set_ranking(membership=user.memberships.get(course=course), dataset_ids=[d.pk for d in datasets])


def test_projector_page_needs_no_login_and_shows_the_join_code(client, course, catalog):
    response = client.get(reverse("display", args=[course.display_token]))
    assert response.status_code == 200
    page = response.content.decode()
    assert course.join_code in page and "Iris" in page


@pytest.mark.parametrize("name", ["display", "display_board", "display_qr"])
def test_a_wrong_projector_link_is_404(client, course, name):
    assert client.get(reverse(name, args=["not-the-token"])).status_code == 404


def test_a_replaced_projector_link_says_so_to_a_fresh_load_and_to_an_open_projector(client, course, catalog, instructor,
                                                                                   client_for):
    old = course.display_token
    etag = _board(client, course)["ETag"]
    # Twice, as a double-click does: the first link is still known as replaced.
    for _ in range(2):
        client_for(instructor).post(reverse("display_link_regenerate", args=[course.pk]))
    client.logout()
    page = client.get(reverse("display", args=[old]))
    assert page.status_code == 410
    assert "This projector link was replaced" in page.content.decode()
    assert "Live activity page" in page.content.decode()
    poll = client.get(reverse("display_board", args=[old]), HTTP_X_LIVE="1", HTTP_IF_NONE_MATCH=etag)
    assert poll.status_code == 410
    assert "data-live-gone" in poll.content.decode() and "<html" not in poll.content.decode()
    assert client.get(reverse("display_qr", args=[old])).status_code == 404
    course.refresh_from_db()
    assert client.get(reverse("display", args=[course.display_token])).status_code == 200


def test_unchanged_board_answers_304_and_a_pick_changes_it(client, course, catalog, student):
    first = _board(client, course)
    etag = first["ETag"]
    assert first.status_code == 200
    assert _board(client, course, etag).status_code == 304
    _pick(course, student, catalog[1])
    changed = _board(client, course, etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Sam Student" in changed.content.decode()


def test_the_304_poll_is_one_query(client, course, catalog, django_assert_num_queries):
    etag = _board(client, course)["ETag"]
    with django_assert_num_queries(1):
        assert _board(client, course, etag).status_code == 304


def test_board_rendering_queries_do_not_grow_with_the_class(client, course, catalog):
    def queries_for(students):
        for n in range(students):
            user = factories.MembershipFactory(course=course, role="student").user
            _pick(course, user, catalog[n % 3], catalog[(n + 1) % 3])
        with CaptureQueriesContext(connection) as captured:
            assert _board(client, course).status_code == 200
        return len(captured)

    assert queries_for(5) == queries_for(40)


def test_anonymous_mode_shows_counts_not_names_on_the_projector(client, course, catalog, student, instructor, client_for):
    _pick(course, student, catalog[0])
    assert "Sam Student" in _board(client, course).content.decode()
    client_for(instructor).post(reverse("activity_anonymous", args=[course.pk]))
    client.logout()
    page = _board(client, course).content.decode()
    assert "Sam Student" not in page
    assert "1<span class=\"visually-hidden\"> interested" in page


def test_a_lonely_pick_is_marked_with_a_similar_suggestion(client, course, student, classmate):
    iris = factories.DatasetFactory(course=course, title="Iris flowers", description="Petal and sepal measurements of flowers.", tags="biology, botany")
    orchids = factories.DatasetFactory(course=course, title="Orchid flowers", description="Petal measurements of orchid flowers.", tags="biology, botany")
    factories.DatasetFactory(course=course, title="Stock prices", description="Daily closing prices of shares.", tags="finance")
    _pick(course, student, iris)
    _pick(course, classmate, orchids)
    other = factories.MembershipFactory(course=course, role="student").user
    _pick(course, other, orchids)
    page = _board(client, course).content.decode()
    assert "tile--lonely" in page
    assert "— Similar: <strong>Orchid flowers</strong> (2)" in page and "alone-badge" in page


def test_student_page_suggests_a_similar_dataset_for_a_lonely_pick(client_for, course, student, classmate):
    iris = factories.DatasetFactory(course=course, title="Iris flowers", description="Petal measurements of flowers.", tags="botany")
    orchids = factories.DatasetFactory(course=course, title="Orchid flowers", description="Petal measurements of orchids.", tags="botany")
    _pick(course, student, iris)
    _pick(course, classmate, orchids)
    page = client_for(student).get(reverse("interests", args=[course.pk])).content.decode()
    assert "Nobody else picked this yet. Similar and picked by 1" in page and "Orchid flowers" in page


def test_student_live_poll_is_304_until_a_classmate_picks(client_for, course, student, classmate, catalog):
    client = client_for(student)
    url = reverse("interests", args=[course.pk])
    etag = client.get(url)["ETag"]
    assert client.get(url, HTTP_X_LIVE="1", HTTP_IF_NONE_MATCH=etag).status_code == 304
    _pick(course, classmate, catalog[2])
    response = client.get(url, HTTP_X_LIVE="1", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Cleo Classmate" in response.content.decode()
    assert "<html" not in response.content.decode()  # the fragment, not the page


def test_settings_new_members_and_datasets_move_the_board(client, course, catalog, instructor, client_for):
    etag = _board(client, course)["ETag"]
    course_join(user=factories.UserFactory(), code=course.join_code)
    etag2 = _board(client, course, etag)["ETag"]
    assert etag2 != etag
    dataset_review(dataset=factories.DatasetFactory(course=course, title="Penguins", status="proposed"), approve=True)
    etag3 = _board(client, course, etag2)["ETag"]
    assert etag3 != etag2
    client_for(instructor).post(reverse("course_settings", args=[course.pk]), {
        "title": course.title, "ranking_size": 3, "min_circle_size": 2, "anonymous": "on"})
    client.logout()
    assert _board(client, course, etag3).status_code == 200


def test_controller_starts_a_countdown_and_ends_the_activity(client, client_for, course, instructor, catalog):
    client_for(instructor).post(reverse("activity_open", args=[course.pk]), {"minutes": "7"})
    activity = Activity.objects.get(course=course)
    assert activity.is_open
    assert 6.9 * 60 < (activity.ends_at - timezone.now()).total_seconds() <= 7 * 60
    client.logout()
    assert "data-countdown-end" in _board(client, course).content.decode()
    client_for(instructor).post(reverse("activity_close", args=[course.pk]))
    assert not Activity.objects.get(course=course).is_open


def test_controller_refuses_a_silly_countdown_with_a_message(client_for, course, instructor):
    response = client_for(instructor).post(reverse("activity_open", args=[course.pk]), {"minutes": "999"}, follow=True)
    assert "at most 120 minutes" in response.content.decode()
    assert not Activity.objects.filter(course=course, is_open=True).exists()


def test_controller_locks_rankings(client_for, course, instructor, student, catalog):
    client_for(instructor).post(reverse("activity_lock_rankings", args=[course.pk]))
    course.refresh_from_db()
    assert course.interests_locked
    response = client_for(student).post(reverse("interest_add", args=[course.pk, catalog[0].pk]), follow=True)
    assert "locked" in response.content.decode()


def test_student_cannot_use_the_controller(client_for, course, student):
    assert client_for(student).post(reverse("activity_anonymous", args=[course.pk])).status_code == 403
    course.refresh_from_db()
    assert not course.anonymous


@pytest.mark.reliability(23)
def test_script_in_a_title_or_name_is_escaped_on_the_projector(client, course):
    evil = factories.DatasetFactory(course=course, title="<script>alert(1)</script>")
    user = factories.MembershipFactory(course=course, role="student", user__name="<img src=x onerror=alert(2)>").user
    _pick(course, user, evil)
    response = client.get(reverse("display", args=[course.display_token]))
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_revealed_run_shows_circles_on_the_projector(client, client_for, course, instructor, student, classmate, catalog):
    _pick(course, student, catalog[0])
    _pick(course, classmate, catalog[0])
    run = services.match_run_start(course=course)
    client_for(instructor).post(reverse("matching_reveal", args=[course.pk, run.pk]), {"show": "on"})
    client.logout()
    page = _board(client, course).content.decode()
    assert "Proposed circles" in page and "Sam Student" in page and "Cleo Classmate" in page


def _times_up(course):
    services.activity_open(course=course, minutes=5)
    Activity.objects.filter(course=course).update(ends_at=timezone.now() - timezone.timedelta(seconds=1))


def test_the_countdown_is_rendered_with_its_time_never_blank(client, course, catalog):
    services.activity_open(course=course, minutes=7)
    page = _board(client, course).content.decode()
    assert re.search(r'data-countdown-end="[^"]+" data-server-now="[^"]+">[67]:[0-5]\d</span>', page)
    assert ">…<" not in page


def test_times_up_closes_picks_until_the_instructor_reopens_them(client_for, course, instructor, student, catalog):
    _times_up(course)
    with pytest.raises(ValidationError, match="Time's up — your instructor closed the picks"):
        _pick(course, student, catalog[0])
    phone = client_for(student)
    response = phone.post(reverse("interest_add", args=[course.pk, catalog[0].pk]), follow=True)
    page = response.content.decode()
    assert "Time’s up — your instructor closed the picks." in page
    assert f'action="{reverse("interest_add", args=[course.pk, catalog[0].pk])}"' not in page  # no Add buttons
    assert ">Time&#x27;s up</span>" in page  # the phone's countdown
    controller = client_for(instructor).get(reverse("activity", args=[course.pk])).content.decode()
    assert "Time&#x27;s up" in controller and "Reopen picks" in controller
    client_for(instructor).post(reverse("activity_reopen_picks", args=[course.pk]))
    activity = Activity.objects.get(course=course)
    assert activity.is_open and activity.ends_at is None
    _pick(course, student, catalog[0])


def test_the_projector_says_the_picks_are_closed(client, course, catalog):
    _times_up(course)
    page = _board(client, course).content.decode()
    assert ">Time&#x27;s up</span>" in page and "Picks are closed" in page


def test_students_cannot_reopen_the_picks(client_for, course, student, outsider):
    _times_up(course)
    assert client_for(student).post(reverse("activity_reopen_picks", args=[course.pk])).status_code == 403
    assert client_for(outsider).post(reverse("activity_reopen_picks", args=[course.pk])).status_code == 404
    assert Activity.objects.get(course=course).picks_closed
    assert PICKS_CLOSED.startswith("Time's up")
