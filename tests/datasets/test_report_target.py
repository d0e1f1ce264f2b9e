"""A target the student can fix (issue 12): a target naming no column fails the profile with its
suggestions stored on the job; the uploader and staff pick a suggestion and the profile reruns."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.exceptions import ValidationError
from django.urls import reverse

from courseproj.courses.models import Membership
from datasets import jobs, runner, services
from datasets.models import JobStatus, ProfileJob

CSV = b"x1,x2,outcome\n" + b"".join(f"{i % 7},{i % 3},{'yes' if i % 2 else 'no'}\n".encode() for i in range(60))


@pytest.fixture
def sent(monkeypatch):
    from datasets.tasks import profile_job_run_task

    ids: list[int] = []
    monkeypatch.setattr(profile_job_run_task, "apply_async", lambda args, **options: ids.append(args[0]))
    monkeypatch.setattr(jobs, "_broker_paused_until", 0.0)
    return ids


@pytest.fixture
def proposal(sent, course, student, django_capture_on_commit_callbacks):
    """Sam's upload with the target mistyped, profiled: the job failed with unknown_target."""
    membership = Membership.objects.get(course=course, user=student)
    with django_capture_on_commit_callbacks(execute=True):
        dataset, _ = services.dataset_upload(
            membership=membership, uploaded=SimpleUploadedFile("t.csv", CSV), file_format="csv",
            title="Outcomes", target_column="Outcome ",
        )
    token = jobs.profile_job_claim(job_id=dataset.profile_job_id, message_id="m1")
    assert runner.profile_job_run(job_id=dataset.profile_job_id, token=token) == "failed"
    dataset.refresh_from_db()
    return dataset


def _url(name, dataset):
    return reverse(name, args=[dataset.course_id, dataset.pk])


def test_the_failed_job_keeps_the_suggestions(proposal):
    job = ProfileJob.objects.get(pk=proposal.profile_job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "unknown_target"
    assert job.error_details["suggestions"] == ["outcome"]
    assert job.error_details["columns"] == ["x1", "x2", "outcome"]


def test_rerun_clears_the_details(proposal):
    job = jobs.profile_job_rerun(job=ProfileJob.objects.get(pk=proposal.profile_job_id))
    assert job.error_details == {} and job.error_code == ""


@pytest.mark.parametrize("page", ["profile_report", "dataset_detail"])
def test_uploader_sees_did_you_mean_buttons(proposal, client_for, student, page):
    html = client_for(student).get(_url(page, proposal)).content.decode()
    assert "is not a column" in html and "Use “outcome” as the target" in html
    assert '<option value="x1">x1</option>' in html


def test_a_classmate_sees_the_suggestion_but_no_button(proposal, client_for, classmate, instructor):
    services.dataset_review(dataset=proposal, approve=True)  # in the catalog: classmates see it
    html = client_for(classmate).get(_url("profile_report", proposal)).content.decode()
    assert "It is probably “outcome”" in html and "Use “outcome” as the target" not in html
    response = client_for(classmate).post(_url("dataset_set_target", proposal), {"target_column": "outcome"})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.target_column == "Outcome "  # unchanged


@pytest.mark.parametrize("who", ["student", "instructor"])
def test_uploader_and_staff_set_the_suggested_target_and_the_profile_reruns(
    proposal, client_for, request, sent, who, django_capture_on_commit_callbacks
):
    failed = proposal.profile_job_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(request.getfixturevalue(who)).post(
            _url("dataset_set_target", proposal), {"target_column": "outcome", "next": "report"}
        )
    assert response.status_code == 302 and response["Location"] == _url("profile_report", proposal)
    proposal.refresh_from_db()
    assert proposal.target_column == "outcome" and proposal.profile_job_id != failed
    assert sent[-1] == proposal.profile_job_id
    job = proposal.profile_job
    token = jobs.profile_job_claim(job_id=job.pk, message_id="m2")
    assert runner.profile_job_run(job_id=job.pk, token=token) == "profiled"


def test_a_target_that_is_not_a_listed_column_is_refused(proposal):
    with pytest.raises(ValidationError):
        services.dataset_set_target(dataset=proposal, target_column="nope")


def test_an_outsider_cannot_set_a_target(proposal, client_for, outsider):
    assert client_for(outsider).post(_url("dataset_set_target", proposal), {"target_column": "outcome"}).status_code == 404
