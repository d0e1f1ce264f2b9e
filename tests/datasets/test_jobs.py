"""Profiling jobs: claim, run, fail, sweep, and what the report page says meanwhile (docs/reliability.md rows 2, 36-44 in process).

The fault drills (tests/drills) run the same paths with real workers; these
tests pin each rule down without processes.
"""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from courseproj.courses.models import Membership
from datasets import jobs, runner, services
from datasets.models import JobStatus, ProfileJob
from datasets.jobs import MAX_ATTEMPTS

CSV = b"x1,x2,label\n" + b"".join(f"{i % 7},{i % 3},{'yes' if i % 2 else 'no'}\n".encode() for i in range(60))


@pytest.fixture
def sent(monkeypatch):
    """Job ids published to the broker (the publish itself is replaced)."""
    from datasets.tasks import profile_job_run_task

    ids: list[int] = []
    monkeypatch.setattr(profile_job_run_task, "apply_async", lambda args, **options: ids.append(args[0]))
    monkeypatch.setattr(jobs, "_broker_paused_until", 0.0)
    return ids


@pytest.fixture
def upload(course, instructor, django_capture_on_commit_callbacks):
    membership = Membership.objects.get(course=course, user=instructor)

    def add(content: bytes = CSV, *, target: str = "label"):
        with django_capture_on_commit_callbacks(execute=True):
            dataset, _ = services.dataset_upload(
                membership=membership, uploaded=SimpleUploadedFile("t.csv", content), file_format="csv",
                title="T", target_column=target,
            )
        return dataset

    return add


def _age(job: ProfileJob, seconds: float, **fields) -> None:
    """Move the job's clock back, as if its last write (or heartbeat) happened `seconds` ago."""
    ProfileJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds), **fields)


def test_upload_sends_the_job_after_commit_and_marks_it_queued(sent, upload):
    dataset = upload()
    job = dataset.profile_job
    job.refresh_from_db()
    assert sent == [job.pk] and job.status == JobStatus.QUEUED


@pytest.mark.reliability(43)
def test_nothing_is_sent_while_the_transaction_is_open(sent, course, instructor, django_capture_on_commit_callbacks):
    """Row 43: the message waits for the commit (and a rollback drops it)."""
    membership = Membership.objects.get(course=course, user=instructor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.dataset_upload(membership=membership, uploaded=SimpleUploadedFile("t.csv", CSV), file_format="csv",
                                title="T")
    assert sent == [] and len(callbacks) == 1


@pytest.mark.reliability(39)
def test_unreachable_broker_leaves_the_job_pending_and_pauses_publishing(monkeypatch, upload):
    """Row 39: a failed publish never raises into the request; the next one is skipped for a while."""
    from datasets.tasks import profile_job_run_task

    calls = []

    def frozen(args, **options):
        calls.append(args)
        raise TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(profile_job_run_task, "apply_async", frozen)
    monkeypatch.setattr(jobs, "_broker_paused_until", 0.0)
    first = upload()
    second = upload(CSV + b"1,1,yes\n")
    assert len(calls) == 1  # the second dataset did not wait for a second timeout
    assert {first.profile_job.status, second.profile_job.status} == {JobStatus.PENDING}


def test_two_deliveries_claim_a_job_once(sent, upload):
    job = upload().profile_job
    first = jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    assert first and first.startswith("m1/")
    assert jobs.profile_job_claim(job_id=job.pk, message_id="m2") is None
    job.refresh_from_db()
    assert (job.status, job.attempts, job.runner) == (JobStatus.RUNNING, 1, first)


@pytest.mark.reliability(36)
def test_a_redelivered_message_takes_over_from_its_dead_run(sent, upload):
    """Row 36: the same message back means its previous run died; it takes over at once."""
    job = upload().profile_job
    dead = jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    again = jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    assert again and again != dead
    job.refresh_from_db()
    assert job.attempts == 2 and job.is_retrying
    # The dead run's late writes count for nothing.
    jobs.profile_job_progress(job_id=job.pk, token=dead, fraction=0.9, stage="zombie")
    assert not jobs.profile_job_fail(job_id=job.pk, token=dead, code="x", message="zombie")
    job.refresh_from_db()
    assert job.stage != "zombie" and job.status == JobStatus.RUNNING


def test_a_silent_run_is_taken_over_by_any_delivery(sent, upload, settings):
    job = upload().profile_job
    jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    _age(job, settings.PROFILE_STALE_SECONDS + 1)
    assert jobs.profile_job_claim(job_id=job.pk, message_id="m2")


def test_a_job_that_keeps_killing_its_worker_fails_after_the_cap(sent, upload):
    """Row 36: no endless redelivery loop."""
    job = upload().profile_job
    for _ in range(MAX_ATTEMPTS):
        assert jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    assert jobs.profile_job_claim(job_id=job.pk, message_id="m1") is None
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "crashed" and job.attempts == MAX_ATTEMPTS


@pytest.mark.reliability(44)
def test_retries_after_database_errors_do_not_count_as_crashes(sent, upload):
    """Row 44: each retry of the message is granted one more delivery."""
    job = upload().profile_job
    for retries in range(MAX_ATTEMPTS + 2):
        assert jobs.profile_job_claim(job_id=job.pk, message_id="m1", retries=retries)


def test_run_profiles_the_file_and_updates_the_dataset(sent, upload):
    dataset = upload()
    token = jobs.profile_job_claim(job_id=dataset.profile_job_id, message_id="m1")
    assert runner.profile_job_run(job_id=dataset.profile_job_id, token=token) == "profiled"
    dataset.refresh_from_db()
    job = dataset.profile_job
    assert job.status == JobStatus.DONE and job.progress == 1.0 and job.result["rows"] == 60
    assert dataset.rows == 60 and dataset.task == "binary" and dataset.column_names == ["x1", "x2", "label"]


def test_the_preview_shows_cells_as_the_file_had_them(sent, upload):
    """The loader reads numbers as floats and gaps as NaN; the preview shows "50" and an empty cell."""
    dataset = upload(b"age,chol,label\n50,,yes\n61,240.5,no\n" + b"40,200,yes\n45,210,no\n" * 10)
    token = jobs.profile_job_claim(job_id=dataset.profile_job_id, message_id="m1")
    runner.profile_job_run(job_id=dataset.profile_job_id, token=token)
    dataset.refresh_from_db()
    assert dataset.preview[:2] == [["50", "", "yes"], ["61", "240.5", "no"]]


def test_a_superseded_run_drops_its_result(sent, upload, settings):
    """Never two results: a run that lost the job (its worker froze, the sweeper revived it) writes nothing."""
    dataset = upload()
    job_id = dataset.profile_job_id
    old = jobs.profile_job_claim(job_id=job_id, message_id="m1")
    _age(dataset.profile_job, settings.PROFILE_STALE_SECONDS + 1)
    new = jobs.profile_job_claim(job_id=job_id, message_id="m2")
    assert runner.profile_job_run(job_id=job_id, token=old) == "superseded"
    job = ProfileJob.objects.get(pk=job_id)
    assert job.status == JobStatus.RUNNING and job.result is None and job.runner == new


@pytest.mark.reliability(2)
def test_header_only_csv_is_accepted_and_its_job_fails_with_a_clear_reason(sent, upload, client_for, instructor):
    """Row 2: a 0-row dataset; the profiler never divides by zero, the page says why."""
    dataset = upload(b"a,b,label\n", target="")
    token = jobs.profile_job_claim(job_id=dataset.profile_job_id, message_id="m1")
    assert runner.profile_job_run(job_id=dataset.profile_job_id, token=token) == "failed"
    job = ProfileJob.objects.get(pk=dataset.profile_job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "no_rows"
    html = client_for(instructor).get(reverse("profile_report", args=[dataset.course_id, dataset.pk])).content.decode()
    assert "Profiling failed." in html and "no data rows" in html and "Run again" in html


def test_rerun_starts_a_failed_job_from_scratch(sent, upload, client_for, instructor, django_capture_on_commit_callbacks):
    dataset = upload(b"a,b,label\n", target="")
    job = dataset.profile_job
    jobs.profile_job_fail(job_id=job.pk, code="no_rows", message="No rows.")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(instructor).post(reverse("profile_rerun", args=[dataset.course_id, dataset.pk]))
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error_code) == (JobStatus.QUEUED, 0, "")
    assert sent.count(job.pk) == 2


# --- the sweeper -----------------------------------------------------------------------


@pytest.mark.reliability(37)
def test_sweeper_revives_a_silent_running_job_and_sends_it(sent, upload, settings):
    """Row 37: the worker died with the job; nothing redelivers it, the sweeper does."""
    job = upload().profile_job
    jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    _age(job, settings.PROFILE_STALE_SECONDS + 1)
    sent.clear()
    assert jobs.profile_jobs_sweep() == {"failed": 0, "revived": 1, "sent": 1}
    job.refresh_from_db()
    assert sent == [job.pk] and job.status == JobStatus.QUEUED and job.runner == "" and job.is_retrying


def test_sweeper_leaves_a_beating_job_alone(sent, upload):
    job = upload().profile_job
    jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    sent.clear()
    assert jobs.profile_jobs_sweep() == {"failed": 0, "revived": 0, "sent": 0}
    assert sent == []


def test_sweeper_fails_a_dead_job_that_used_its_attempts(sent, upload, settings):
    job = upload().profile_job
    jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    _age(job, settings.PROFILE_STALE_SECONDS + 1, attempts=MAX_ATTEMPTS)
    jobs.profile_jobs_sweep()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "crashed"


@pytest.mark.reliability(41)
def test_sweeper_fails_a_dead_job_that_ran_past_the_hard_limit(sent, upload, settings):
    """Row 41's backstop: the pool killed the child at the hard limit."""
    job = upload().profile_job
    jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    long_ago = timezone.now() - timedelta(seconds=settings.PROFILE_HARD_TIME_LIMIT + 1)
    _age(job, settings.PROFILE_STALE_SECONDS + 1, started_at=long_ago)
    jobs.profile_jobs_sweep()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error_code == "too_slow"


def test_sweeper_sends_old_pending_jobs_and_lost_queued_ones(sent, upload, settings):
    """Rows 38 and 39: never sent (broker down), or sent and lost (Redis restarted)."""
    pending, queued, fresh = upload().profile_job, upload(CSV + b"0,0,no\n").profile_job, upload(CSV * 2).profile_job
    _age(pending, settings.PROFILE_STALE_SECONDS + 1, status=JobStatus.PENDING)
    _age(queued, settings.PROFILE_REQUEUE_SECONDS + 1)
    sent.clear()
    assert jobs.profile_jobs_sweep()["sent"] == 2
    assert sorted(sent) == sorted([pending.pk, queued.pk]) and fresh.pk not in sent
    sent.clear()
    jobs.profile_jobs_sweep()
    assert sent == []  # once per period, not every sweep


# --- what the report page says -------------------------------------------------------------


def _state(client, dataset) -> str:
    html = client.get(reverse("profile_report", args=[dataset.course_id, dataset.pk]), HTTP_X_LIVE="1")
    text = html.content.decode()
    return text.split('data-state="', 1)[1].split('"', 1)[0]


def test_progress_fragment_states(sent, upload, client_for, student, settings):
    dataset = upload()
    job = dataset.profile_job
    client = client_for(student)
    assert _state(client, dataset) == "waiting"
    first = jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    jobs.profile_job_progress(job_id=job.pk, token=first, fraction=0.4, stage="fitting Random forest")
    html = client.get(reverse("profile_report", args=[dataset.course_id, dataset.pk]), HTTP_X_LIVE="1")
    assert 'data-state="running"' in html.content.decode() and 'value="40"' in html.content.decode()
    assert "fitting Random forest" in html.content.decode() and "<html" not in html.content.decode()
    _age(job, settings.PROFILE_STALE_SECONDS / 2 + 1)
    assert _state(client, dataset) == "stalled"  # not a frozen "running"
    jobs.profile_job_claim(job_id=job.pk, message_id="m1")
    assert _state(client, dataset) == "retrying"
    jobs.profile_job_fail(job_id=job.pk, code="too_slow", message="Too slow.")
    url = reverse("profile_report", args=[dataset.course_id, dataset.pk])
    response = client.get(url, HTTP_X_LIVE="1")
    assert "data-live-reload" in response.content.decode()  # finished: the page reloads once and stops polling
    assert client.get(url, HTTP_X_LIVE="1", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_outsider_gets_404_for_the_progress_fragment(sent, upload, client_for, outsider):
    dataset = upload()
    response = client_for(outsider).get(reverse("profile_report", args=[dataset.course_id, dataset.pk]),
                                        HTTP_X_LIVE="1")
    assert response.status_code == 404
