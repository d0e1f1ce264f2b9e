"""The starter notebook in the worker (issue 12): after a profile the runner writes and executes it, the job
row records the outcome, and the report offers it as a zip only when it ran and printed the stored baseline."""
import io
import zipfile

import nbformat
import pytest
from django.urls import reverse

from datasets import jobs, runner, services
from datasets.models import JobStatus, ProfileJob
from datasets.report import notebook_offer


@pytest.fixture
def sent(monkeypatch):
    from datasets.tasks import profile_job_run_task

    ids: list[int] = []
    monkeypatch.setattr(profile_job_run_task, "apply_async", lambda args, **options: ids.append(args[0]))
    monkeypatch.setattr(jobs, "_broker_paused_until", 0.0)
    return ids


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROFILE_NOTEBOOK_TIMEOUT = 120  # on, whatever the test settings say
    return settings.MEDIA_ROOT


@pytest.fixture
def iris(sent, course, media, django_capture_on_commit_callbacks):
    """The built-in iris dataset, profiled by the runner as a worker would."""
    with django_capture_on_commit_callbacks(execute=True):
        dataset, _ = services.dataset_add_builtin(course=course, key="iris")
    token = jobs.profile_job_claim(job_id=dataset.profile_job_id, message_id="m1")
    assert runner.profile_job_run(job_id=dataset.profile_job_id, token=token) == "profiled"
    dataset.refresh_from_db()
    return dataset


def test_the_builtin_iris_notebook_executes_and_prints_the_stored_baseline(iris, media):
    job = ProfileJob.objects.get(pk=iris.profile_job_id)
    assert job.status == JobStatus.DONE
    outcome = job.notebook
    assert outcome["executed"] is True and outcome["matches_profile"] is True, outcome
    stored = job.result["baseline_to_beat"]["value"]
    assert round(outcome["baseline_balanced_accuracy"], 3) == round(stored, 3)
    notebook = nbformat.read(media / outcome["path"], as_version=4)
    printed = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    assert f"baseline balanced accuracy: {stored:.3f}" in printed
    assert (media / outcome["data_path"]).is_file() and outcome["path"].startswith(f"notebooks/{job.pk}/")


def test_the_report_offers_the_zip_of_notebook_and_data(iris, client_for, student):
    client = client_for(student)
    html = client.get(reverse("profile_report", args=[iris.course_id, iris.pk])).content.decode()
    assert "Download the starter notebook" in html
    response = client.get(reverse("profile_notebook", args=[iris.course_id, iris.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "-starter-notebook.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["iris.csv", "starter.ipynb"]


@pytest.mark.parametrize("outcome, reason", [
    ({"error_code": "notebook_failed", "error_message": "The starter notebook failed at step 3 (KeyError)."},
     "failed at step 3"),
    ({"path": "notebooks/1/starter.ipynb", "data_path": "notebooks/1/x.csv", "executed": True,
      "matches_profile": False, "baseline_balanced_accuracy": 0.5}, "not the profile"),
])
def test_a_notebook_that_failed_or_differs_is_not_offered(iris, client_for, student, outcome, reason):
    ProfileJob.objects.filter(pk=iris.profile_job_id).update(notebook=outcome)
    client = client_for(student)
    html = client.get(reverse("profile_report", args=[iris.course_id, iris.pk])).content.decode()
    assert "Download the starter notebook" not in html and reason in html
    assert client.get(reverse("profile_notebook", args=[iris.course_id, iris.pk])).status_code == 404


def test_no_outcome_says_nothing():
    class Job:
        notebook = {}
    assert notebook_offer(Job()) is None


def test_notebooks_can_be_switched_off(settings):
    settings.PROFILE_NOTEBOOK_TIMEOUT = 0
    assert runner.notebook_run(job=ProfileJob(), result={}, frame=None, seconds_left=100) == {}
