"""The instructor's matching page: run, move, lock, re-run, publish; the student's circle."""
import pytest
from django.core import mail
from django.urls import reverse

from matching import services
from matching.models import MatchRun, RunStatus
from tests import factories


@pytest.fixture
def catalog(course):
    return {t: factories.DatasetFactory(course=course, title=t) for t in ("Iris", "Wine", "Digits", "Penguins")}


def _student(course, name):
    return factories.MembershipFactory(course=course, role="student", user__name=name).user


def _rank(course, user, *datasets):
    membership = user.memberships.get(course=course)
    services.interest_set_ranking(membership=membership, dataset_ids=[d.pk for d in datasets])


@pytest.fixture
def ranked_class(course, catalog, student, classmate):
    """Six students: Iris is popular, Wine is someone's lonely first choice."""
    iris, wine, digits, penguins = (catalog[t] for t in ("Iris", "Wine", "Digits", "Penguins"))
    _rank(course, student, iris, digits)
    _rank(course, classmate, iris, penguins)
    others = [_student(course, n) for n in ("Ana", "Bo", "Cy", "Di")]
    _rank(course, others[0], wine, iris)
    _rank(course, others[1], digits, iris)
    _rank(course, others[2], penguins, digits)
    _rank(course, others[3], penguins)
    return [student, classmate, *others]


def _circles(run):
    return {d: set(s) for d, s in run.result["circles"].items()}


def test_instructor_runs_the_matcher_and_sees_circles_and_quality(client_for, course, instructor, ranked_class):
    response = client_for(instructor).post(reverse("matching_run", args=[course.pk]), follow=True)
    run = MatchRun.objects.get(course=course)
    assert run.status == RunStatus.DRAFT
    quality = run.result["quality"]
    assert quality["violations"] == 0
    assert quality["buddy_rate"] == 1.0  # every student can share a dataset here
    assert sum(len(s) for s in run.result["circles"].values()) == len(ranked_class)
    page = response.content.decode()
    assert "Share their dataset" in page and "100%" in page
    assert "first choice for all" in page  # the comparison beside the result


def test_student_cannot_run_or_see_the_matching(client_for, course, student, ranked_class):
    client = client_for(student)
    assert client.post(reverse("matching_run", args=[course.pk])).status_code == 403
    assert client.get(reverse("matching", args=[course.pk])).status_code == 403
    assert not MatchRun.objects.exists()


def test_students_who_never_ranked_are_listed_not_dropped(client_for, course, instructor, ranked_class):
    late = _student(course, "Zed Late")
    client_for(instructor).post(reverse("matching_run", args=[course.pk]))
    run = MatchRun.objects.get(course=course)
    assert run.result["not_ranked"] == [late.pk]
    page = client_for(instructor).get(reverse("matching", args=[course.pk])).content.decode()
    assert "Never ranked (1)" in page and "Zed Late — <span class=\"badge badge--warn\">no dataset</span>" in page


def test_move_locks_the_student_and_the_rerun_keeps_it(client_for, course, instructor, catalog, ranked_class):
    client = client_for(instructor)
    client.post(reverse("matching_run", args=[course.pk]))
    first = MatchRun.objects.get(course=course)
    mover = ranked_class[5]  # ranked only Penguins
    client.post(reverse("matching_move", args=[course.pk, first.pk]), {"student": mover.pk, "dataset": catalog["Wine"].pk})
    second = MatchRun.objects.for_course(course).first()
    assert second.pk != first.pk
    assert MatchRun.objects.get(pk=first.pk).status == RunStatus.SUPERSEDED
    assert second.locks == {str(mover.pk): str(catalog["Wine"].pk)}
    assert second.result["assignments"][str(mover.pk)] == str(catalog["Wine"].pk)
    client.post(reverse("matching_run", args=[course.pk]))
    third = MatchRun.objects.for_course(course).first()
    assert third.locks == second.locks
    assert third.result["assignments"][str(mover.pk)] == str(catalog["Wine"].pk)


def test_locked_circle_survives_a_rerun_after_rankings_change(client_for, course, instructor, catalog, ranked_class, student):
    client = client_for(instructor)
    client.post(reverse("matching_run", args=[course.pk]))
    run = MatchRun.objects.get(course=course)
    dataset_id = run.result["assignments"][str(student.pk)]
    members = set(run.result["circles"][dataset_id])
    client.post(reverse("matching_lock", args=[course.pk, run.pk, dataset_id]))
    run.refresh_from_db()
    assert set(run.locks) == members
    # The student changes their mind; the locked circle holds anyway.
    _rank(course, student, catalog["Wine"])
    client.post(reverse("matching_run", args=[course.pk]))
    rerun = MatchRun.objects.for_course(course).first()
    assert set(rerun.result["circles"][dataset_id]) >= members
    client.post(reverse("matching_unlock", args=[course.pk, rerun.pk, dataset_id]))
    rerun.refresh_from_db()
    assert rerun.locks == {}


def test_move_with_a_foreign_dataset_is_refused_with_a_message(client_for, course, instructor, ranked_class, outsider):
    foreign = factories.DatasetFactory(course=outsider.memberships.get().course)
    client = client_for(instructor)
    client.post(reverse("matching_run", args=[course.pk]))
    run = MatchRun.objects.get(course=course)
    response = client.post(
        reverse("matching_move", args=[course.pk, run.pk]), {"student": ranked_class[0].pk, "dataset": foreign.pk}, follow=True
    )
    assert "Choose a student of this matching and a dataset of the catalog." in response.content.decode()
    assert MatchRun.objects.count() == 1


def test_publish_shows_students_their_circle_and_emails_them(
    client_for, course, instructor, student, ranked_class, django_capture_on_commit_callbacks
):
    client = client_for(instructor)
    client.post(reverse("matching_run", args=[course.pk]))
    run = MatchRun.objects.get(course=course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("matching_publish", args=[course.pk, run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED and run.published_at
    assert len(callbacks) == 1  # the emails are queued after commit
    assert services.match_run_notify(run_id=run.pk) == len(ranked_class)
    mine = next(m for m in mail.outbox if m.to == [student.email])
    dataset_id = run.result["assignments"][str(student.pk)]
    classmates = [s for s in run.result["circles"][dataset_id] if s != str(student.pk)]
    page = client_for(student).get(reverse("circle", args=[course.pk])).content.decode()
    assert "Your dataset:" in page
    for other in classmates:
        name = course.memberships.get(user_id=int(other)).user.display_name
        assert name in page and name in mine.body


def test_published_run_cannot_be_changed(client_for, course, instructor, ranked_class):
    client = client_for(instructor)
    client.post(reverse("matching_run", args=[course.pk]))
    run = MatchRun.objects.get(course=course)
    services.match_run_publish(run=run)
    response = client.post(reverse("matching_lock", args=[course.pk, run.pk, 1]), follow=True)
    assert "no longer the draft" in response.content.decode()


@pytest.mark.reliability(33)
def test_a_dataset_deleted_mid_session_blocks_publishing_with_a_clear_state(
    client_for, course, instructor, catalog, ranked_class
):
    client = client_for(instructor)
    client.post(reverse("matching_run", args=[course.pk]))
    run = MatchRun.objects.get(course=course)
    used = next(d for d in catalog.values() if str(d.pk) in run.result["circles"])
    used.delete()
    page = client.get(reverse("matching", args=[course.pk])).content.decode()
    assert "(a dataset that was removed)" in page
    response = client.post(reverse("matching_publish", args=[course.pk, run.pk]), follow=True)
    assert "run the matcher again" in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT
    client.post(reverse("matching_run", args=[course.pk]))
    assert str(used.pk) not in MatchRun.objects.for_course(course).first().result["circles"]


@pytest.mark.reliability(33)
def test_matching_with_nobody_ranked_is_an_empty_clear_state(client_for, course, instructor, student):
    response = client_for(instructor).post(reverse("matching_run", args=[course.pk]), follow=True)
    run = MatchRun.objects.get(course=course)
    assert run.result["circles"] == {}
    assert run.result["not_ranked"] == [student.pk]
    assert response.status_code == 200


def test_student_without_a_published_matching_is_told_so(client_for, course, student):
    page = client_for(student).get(reverse("circle", args=[course.pk])).content.decode()
    assert "not published yet" in page


def test_circle_emails_go_out_once_even_if_the_task_is_delivered_twice(course, ranked_class):
    run = services.match_run_start(course=course)
    services.match_run_publish(run=run)
    assert services.match_run_notify(run_id=run.pk) == len(ranked_class)
    assert services.match_run_notify(run_id=run.pk) == 0
    assert len(mail.outbox) == len(ranked_class)


def test_a_failed_sending_is_left_for_the_retry(course, ranked_class, settings):
    run = services.match_run_start(course=course)
    services.match_run_publish(run=run)
    settings.EMAIL_BACKEND = "tests.matching.test_runs.BrokenMailBackend"
    with pytest.raises(OSError):
        services.match_run_notify(run_id=run.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.match_run_notify(run_id=run.pk) == len(ranked_class)


class BrokenMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP server unreachable")


def test_the_circle_page_shows_the_baseline_to_beat(client_for, course, student, ranked_class):
    from datasets.models import JobStatus, ProfileJob

    run = services.match_run_start(course=course)
    services.match_run_publish(run=run)
    dataset = course.datasets.get(pk=int(run.result["assignments"][str(student.pk)]))
    dataset.profile_job = ProfileJob.objects.create(
        content_key="sha256:x", engine_version="1", status=JobStatus.DONE,
        result={"best_model": "Logistic regression",
                "baselines": [{"model": "Logistic regression", "balanced_accuracy": 0.8123},
                              {"model": "Majority class", "balanced_accuracy": 0.5}]},
    )
    dataset.save()
    page = client_for(student).get(reverse("circle", args=[course.pk])).content.decode()
    assert "baseline to beat: <strong>0.812</strong> balanced accuracy (Logistic regression)" in page
