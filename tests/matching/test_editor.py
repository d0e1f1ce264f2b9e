"""The matching editor (issue 11, item 7) and the matcher's rules in the app (issue 13, items 7–11)."""
import pytest
from django.core import mail
from django.urls import reverse

from courseproj.courses.services import course_update
from matching import services
from matching.engine import FAIRNESS_STATEMENT
from matching.models import Activity, Interest, MatchRun, RunStatus
from matching.selectors import board_state
from tests import factories
from tests.matching.test_runs import _rank, _student, catalog, ranked_class  # noqa: F401 (fixtures)


def _run(client, course, **data):
    client.post(reverse("matching_run", args=[course.pk]), data)
    return MatchRun.objects.for_course(course).first()


def _page(client, course) -> str:
    return client.get(reverse("matching", args=[course.pk])).content.decode()


# --- 7. students who never ranked -----------------------------------------------------------


def test_students_who_never_ranked_are_a_group_the_instructor_can_have_placed(
    client_for, course, instructor, ranked_class
):
    zed = _student(course, "Zed Late")
    client = client_for(instructor)
    left = _run(client, course)
    assert left.result["unranked"] == [str(zed.pk)] and left.result["assignments"][str(zed.pk)] is None
    assert "Never ranked (1)" in _page(client, course)

    client.post(reverse("matching_place_unranked", args=[course.pk]))
    course.refresh_from_db()
    assert course.place_unranked
    placed = MatchRun.objects.for_course(course).first()
    dataset_id = placed.result["assignments"][str(zed.pk)]
    assert placed.result["explanations"][str(zed.pk)]["reason"] == "unranked"
    # Never at a cost to the students who ranked.
    assert placed.result["quality"]["buddied"] == left.result["quality"]["buddied"]
    title = course.datasets.get(pk=int(dataset_id)).title
    assert f"Zed Late — on <strong>{title}</strong>" in _page(client, course)

    client.post(reverse("matching_leave_unranked", args=[course.pk]))
    course.refresh_from_db()
    assert not course.place_unranked
    assert MatchRun.objects.for_course(course).first().result["assignments"][str(zed.pk)] is None


def test_the_policy_is_a_course_setting(client_for, course, instructor):
    data = {"title": course.title, "ranking_size": 3, "min_circle_size": 2, "place_unranked": "on"}
    client_for(instructor).post(reverse("course_settings", args=[course.pk]), data)
    course.refresh_from_db()
    assert course.place_unranked


# --- 8. re-running after publishing -------------------------------------------------------------


def test_a_late_joiner_is_placed_around_the_published_circles_and_only_they_are_emailed(
    client_for, course, instructor, catalog, ranked_class, django_capture_on_commit_callbacks
):
    client = client_for(instructor)
    first = _run(client, course)
    services.match_run_publish(run=first)
    services.match_run_notify(run_id=first.pk)
    assert len(mail.outbox) == len(ranked_class)
    mail.outbox.clear()

    lia = _student(course, "Lia Late")
    _rank(course, lia, catalog["Wine"], catalog["Iris"])
    rerun = _run(client, course, max_moves=0)
    assignments = rerun.result["assignments"]
    assert {s: assignments[s] for s in first.result["assignments"]} == first.result["assignments"]  # nobody moved
    assert assignments[str(lia.pk)] and rerun.result["moved"] == [] and rerun.result["quality"]["moved"] == 0
    page = _page(client, course)
    assert "Joined after publishing and placed (1): Lia Late" in page
    assert "Moved from the published circles" in page  # the count, before anything is applied

    confirm = client.get(reverse("matching_publish_confirm", args=[course.pk, rerun.pk])).content.decode()
    assert "Publish and email 1 student<" in confirm and "Hello Lia Late" in confirm
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("matching_publish", args=[course.pk, rerun.pk]))
    assert services.match_run_notify(run_id=rerun.pk) == 1
    assert mail.outbox[0].to == [lia.email]


def test_moves_need_the_instructors_cap_and_the_draft_counts_them(
    client_for, course, instructor, catalog, ranked_class
):
    client = client_for(instructor)
    services.match_run_publish(run=_run(client, course))
    lia = _student(course, "Lia Late")
    _rank(course, lia, catalog["Wine"], catalog["Iris"])
    capped = _run(client, course, max_moves=1)
    assert len(capped.result["moved"]) <= 1
    assert capped.result["quality"]["max_moves"] == 1
    assert MatchRun.objects.for_course(course).published().get().pk != capped.pk  # nothing applied yet
    page = _page(client, course)
    assert f"{capped.result['quality']['moved']}<span class=\"was\">allowed: 1</span>" in page
    # A re-run (e.g. after a move) keeps the cap.
    assert services.match_run_start(course=course).result["quality"]["max_moves"] == 1


def test_a_negative_cap_is_refused(client_for, course, instructor, ranked_class):
    response = client_for(instructor).post(reverse("matching_run", args=[course.pk]), {"max_moves": -1}, follow=True)
    assert "Moves cannot be negative." in response.content.decode()
    assert not MatchRun.objects.exists()


# --- 9. reasons ----------------------------------------------------------------------------------


@pytest.fixture
def full_first_choice(course, catalog):
    """Three students want Iris first, the maximum is 2: one of them gets Wine, with Dee."""
    course_update(course=course, max_circle_size=2)
    people = [_student(course, n) for n in ("Ann", "Ben", "Cal")]
    for person in people:
        _rank(course, person, catalog["Iris"], catalog["Wine"])
    _rank(course, _student(course, "Dee"), catalog["Wine"])
    return people


def test_each_student_sees_why_in_one_sentence_with_titles_not_ids(client_for, course, instructor, full_first_choice):
    run = services.match_run_start(course=course)
    services.match_run_publish(run=run)
    second = next(p for p in full_first_choice if run.result["explanations"].get(str(p.pk)))
    assert run.result["explanations"][str(second.pk)]["reason"] == "first_choice_full"
    page = client_for(second).get(reverse("circle", args=[course.pk])).content.decode()
    assert "Why this dataset: Your first choice, Iris, is full: it has the maximum of 2 students." in page
    first = next(p for p in full_first_choice if p != second)
    assert "It is your first choice." in client_for(first).get(reverse("circle", args=[course.pk])).content.decode()


def test_reasons_put_titles_where_the_engine_names_datasets_whatever_the_titles_say(
    client_for, course, instructor, catalog
):
    """The app fills the engine's template: a title holding the words its sentences use ("on 3", "was", braces)
    stays whole, and a dataset removed since the run is named as such."""
    course_update(course=course, max_circle_size=2)
    odd = factories.DatasetFactory(course=course, title="Trains on {3}, was late")
    people = [_student(course, n) for n in ("Ann", "Ben", "Cal")]
    for person in people:
        _rank(course, person, odd, catalog["Wine"])
    _rank(course, _student(course, "Dee"), catalog["Wine"])
    run = services.match_run_start(course=course)
    second = next(p for p in people if run.result["explanations"].get(str(p.pk)))
    assert run.result["explanations"][str(second.pk)]["datasets"] == [str(odd.pk)]
    preview = reverse("matching_move_preview", args=[course.pk, run.pk]) + f"?student={second.pk}"
    said = "Your first choice, Trains on {3}, was late, is full: it has the maximum of 2 students."
    assert said in client_for(instructor).get(preview).content.decode()
    services.match_run_publish(run=run)
    assert f"Why this dataset: {said}" in client_for(second).get(reverse("circle", args=[course.pk])).content.decode()

    odd.delete()
    removed = "Your first choice, (a dataset that was removed), is full"
    assert removed in client_for(second).get(reverse("circle", args=[course.pk])).content.decode()
    assert removed in client_for(instructor).get(preview).content.decode()


def test_a_run_stored_before_templates_shows_its_sentence_as_it_was(client_for, course, full_first_choice):
    run = services.match_run_start(course=course)
    services.match_run_publish(run=run)
    second = next(p for p in full_first_choice if run.result["explanations"].get(str(p.pk)))
    old = "Your first choice, 17, is full: it has the maximum of 2 students."
    run.result["explanations"][str(second.pk)] = {"rank": 2, "reason": "first_choice_full", "detail": old}
    run.save(update_fields=["result"])
    assert f"Why this dataset: {old}" in client_for(second).get(reverse("circle", args=[course.pk])).content.decode()


def test_the_editor_shows_every_students_rank_and_reason(client_for, course, instructor, full_first_choice):
    services.match_run_start(course=course)
    page = _page(client_for(instructor), course)
    assert page.count("· 1st choice") == 3
    assert "· 2nd choice · first choice full" in page


# --- 10. fairness -----------------------------------------------------------------------------


def test_the_matching_page_says_what_is_optimised_and_whether_the_result_is_pareto_optimal(
    client_for, course, instructor, ranked_class
):
    client = client_for(instructor)
    run = _run(client, course)
    assert run.result["quality"]["pareto_optimal"] is True
    page = _page(client, course)
    assert FAIRNESS_STATEMENT in page
    assert "Fair (Pareto)</dt><dd>yes" in page and "choice 1: <strong>" in page


# --- 11. solo by choice -------------------------------------------------------------------------


def test_a_student_going_solo_keeps_their_first_choice_without_the_lonely_alarm(
    client_for, course, instructor, student, catalog, ranked_class
):
    _rank(course, student, catalog["Wine"], catalog["Iris"])  # Ana has Wine first too: make it Sam's alone
    ana = ranked_class[2]
    _rank(course, ana, catalog["Iris"])
    client = client_for(student)
    client.post(reverse("interest_solo", args=[course.pk]))
    assert Interest.objects.get(student=student, rank=1).solo
    tile = next(t for t in board_state(course=course, show_names=True).tiles if t.title == "Wine")
    assert tile.count == 1 and not tile.lonely

    run = services.match_run_start(course=course)
    assert run.result["assignments"][str(student.pk)] == str(catalog["Wine"].pk)
    assert str(student.pk) not in run.result["alone"]
    assert run.result["quality"]["alone_by_choice"] == 1
    page = _page(client_for(instructor), course)
    assert "1 · solo by choice" in page and "circle--alone" not in page

    # The flag belongs to the first choice: reordering the list takes it away.
    client_for(student).post(reverse("interest_down", args=[course.pk, catalog["Wine"].pk]))
    assert not Interest.objects.filter(student=student, solo=True).exists()


def test_going_solo_can_be_taken_back_and_needs_a_first_choice(client_for, course, student, dataset):
    client = client_for(student)
    response = client.post(reverse("interest_solo", args=[course.pk]), follow=True)
    assert "Rank a dataset first." in response.content.decode()
    _rank(course, student, dataset)
    page = client.post(reverse("interest_solo", args=[course.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "You will work on this even alone." in page and "Take it back" in page
    client.post(reverse("interest_not_solo", args=[course.pk]))
    assert not Interest.objects.get(student=student).solo


def test_going_solo_is_closed_with_the_picks(client_for, course, student, dataset):
    _rank(course, student, dataset)
    course_update(course=course, interests_locked=True)
    client_for(student).post(reverse("interest_solo", args=[course.pk]))
    assert not Interest.objects.get(student=student).solo


# --- issue 11, item 7: moves with a preview, publishing with a confirmation ------------------------


def test_a_move_is_previewed_with_the_change_to_the_quality_numbers_before_it_is_applied(
    client_for, course, instructor, catalog, ranked_class
):
    client = client_for(instructor)
    run = _run(client, course)
    mover = ranked_class[5]  # ranked only Penguins
    url = reverse("matching_move_preview", args=[course.pk, run.pk])
    choose = client.get(url, {"student": mover.pk}).content.decode()
    assert "Choose a circle" in choose and "Wine (nobody yet)" in choose
    preview = client.get(url, {"student": mover.pk, "dataset": catalog["Wine"].pk}).content.decode()
    assert "After the move" in preview and "Share their dataset" in preview
    assert MatchRun.objects.count() == 1  # a preview keeps nothing
    client.post(reverse("matching_move", args=[course.pk, run.pk]), {"student": mover.pk, "dataset": catalog["Wine"].pk})
    moved = MatchRun.objects.for_course(course).first()
    assert moved.result["assignments"][str(mover.pk)] == str(catalog["Wine"].pk)


def test_a_preview_of_a_published_run_is_refused(client_for, course, instructor, catalog, ranked_class):
    client = client_for(instructor)
    run = _run(client, course)
    services.match_run_publish(run=run)
    response = client.get(reverse("matching_move_preview", args=[course.pk, run.pk]),
                          {"student": ranked_class[0].pk, "dataset": catalog["Wine"].pk}, follow=True)
    assert "no longer the draft" in response.content.decode()


def test_publishing_is_confirmed_on_a_preview_and_the_projector_then_says_published(
    client, client_for, course, instructor, student, ranked_class
):
    staff = client_for(instructor)
    run = _run(staff, course)
    page = _page(staff, course)
    assert reverse("matching_publish_confirm", args=[course.pk, run.pk]) in page
    confirm = staff.get(reverse("matching_publish_confirm", args=[course.pk, run.pk])).content.decode()
    assert f"Publish and email {len(ranked_class)} students" in confirm
    assert "The matching for ML 101 is published. Your dataset:" in confirm and "Why this dataset" in confirm
    assert MatchRun.objects.get(pk=run.pk).status == RunStatus.DRAFT  # nothing sent by looking
    staff.post(reverse("matching_publish", args=[course.pk, run.pk]))
    assert Activity.objects.get(course=course).revealed_run_id == run.pk
    client.logout()
    board = client.get(reverse("display_board", args=[course.display_token])).content.decode()
    assert "Published circles" in board
    # Once published, the confirmation page sends the instructor back.
    again = staff.get(reverse("matching_publish_confirm", args=[course.pk, run.pk]))
    assert again.status_code == 302


def test_a_student_cannot_see_the_previews(client_for, course, student, ranked_class):
    run = services.match_run_start(course=course)
    client = client_for(student)
    assert client.get(reverse("matching_publish_confirm", args=[course.pk, run.pk])).status_code == 403
    assert client.get(reverse("matching_move_preview", args=[course.pk, run.pk]),
                      {"student": student.pk}).status_code == 403
    assert client.post(reverse("matching_place_unranked", args=[course.pk])).status_code == 403


def test_a_student_left_without_a_dataset_reads_why(client_for, course, ranked_class):
    zed = _student(course, "Zed Late")
    services.match_run_publish(run=services.match_run_start(course=course))
    page = client_for(zed).get(reverse("circle", args=[course.pk])).content.decode()
    assert "You did not rank any dataset; rank some so the matcher can place you." in page


def test_outsider_gets_404_for_the_editors_new_pages(client_for, course, outsider, ranked_class):
    run = services.match_run_start(course=course)
    client = client_for(outsider)
    assert client.get(reverse("matching_publish_confirm", args=[course.pk, run.pk])).status_code == 404
    assert client.get(reverse("matching_move_preview", args=[course.pk, run.pk])).status_code == 404
    assert client.post(reverse("interest_solo", args=[course.pk])).status_code == 404
