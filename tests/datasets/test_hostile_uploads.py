"""Uploads under hostile or unlucky input (issue 15): duplicates of hidden proposals, floods, titles."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datasets.models import Dataset, DatasetStatus, ProfileJob
from datasets.uploads import PROPOSALS_PER_STUDENT

CSV = b"sepal,petal,species\n1.0,2.0,a\n1.5,2.5,b\n"
SECRET = "Cleo's secret idea"


def _upload(client, course, content: bytes = CSV, **fields):
    data = {"title": fields.pop("title", "My data"), "file": SimpleUploadedFile("data.csv", content), **fields}
    return client.post(reverse("dataset_upload", args=[course.pk]), data, follow=True)


@pytest.mark.parametrize("review", ["unreviewed", "rejected"])
def test_a_duplicate_of_a_classmates_hidden_proposal_names_nothing_and_keeps_the_students_own(
    client_for, course, student, classmate, review
):
    _upload(client_for(classmate), course, title=SECRET)
    hidden = Dataset.objects.get()
    if review == "rejected":
        Dataset.objects.filter(pk=hidden.pk).update(status=DatasetStatus.REJECTED)

    response = _upload(client_for(student), course, title="Sam's flowers")

    page = response.content.decode()
    assert response.status_code == 200  # the committed code redirected to the hidden dataset: a 404
    assert "Cleo" not in page and "secret" not in page
    own = Dataset.objects.get(proposed_by=student)
    assert (own.title, own.status) == ("Sam's flowers", DatasetStatus.PROPOSED)
    assert response.redirect_chain[-1][0] == reverse("dataset_detail", args=[course.pk, own.pk])
    # One stored file and one profile for the same bytes.
    assert own.file.name == hidden.file.name and own.profile_job_id == hidden.profile_job_id
    assert ProfileJob.objects.count() == 1
    # The instructor sees both proposals.
    assert Dataset.objects.count() == 2


def test_a_student_uploading_their_file_twice_keeps_one_proposal(client_for, course, student, classmate):
    _upload(client_for(classmate), course, title=SECRET)
    client = client_for(student)
    _upload(client, course, title="Sam's flowers")
    page = _upload(client, course, title="Again").content.decode()
    assert "already in the course as “Sam&#x27;s flowers”" in page
    assert Dataset.objects.filter(proposed_by=student).count() == 1


@pytest.mark.reliability(24)
def test_the_same_file_is_one_row_per_uploader_in_the_database(course, student, classmate):
    """Row 24: the constraint holds per uploader, so a double-click race still makes one row."""
    from django.db import IntegrityError, transaction

    from tests import factories

    factories.DatasetFactory(course=course, content_hash="a" * 64, uploader_key=f"student:{student.pk}")
    factories.DatasetFactory(course=course, content_hash="a" * 64, uploader_key=f"student:{classmate.pk}")
    factories.DatasetFactory(course=course, content_hash="a" * 64, uploader_key="")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.DatasetFactory(course=course, content_hash="a" * 64, uploader_key=f"student:{student.pk}")


def test_an_approved_duplicate_is_named_because_the_student_sees_it(client_for, course, instructor, student):
    _upload(client_for(instructor), course, title="Iris in the catalog")
    page = _upload(client_for(student), course, title="Mine").content.decode()
    assert "already in the course as “Iris in the catalog”" in page
    assert Dataset.objects.count() == 1


def test_a_student_may_propose_10_datasets_an_hour_and_is_told_the_limit(client_for, course, student):
    client = client_for(student)
    for n in range(PROPOSALS_PER_STUDENT.amount):
        _upload(client, course, CSV + f"{n},{n},c\n".encode(), title=f"Proposal {n}")
    assert Dataset.objects.filter(proposed_by=student).count() == 10
    page = _upload(client, course, CSV + b"9,9,z\n", title="One too many").content.decode()
    assert "You proposed 10 datasets within an hour, the limit." in page
    assert Dataset.objects.filter(proposed_by=student).count() == 10
    assert ProfileJob.objects.count() == 10


def test_staff_uploads_are_not_limited(client_for, course, instructor):
    client = client_for(instructor)
    for n in range(PROPOSALS_PER_STUDENT.amount + 1):
        _upload(client, course, CSV + f"{n},{n},c\n".encode(), title=f"Upload {n}")
    assert Dataset.objects.count() == PROPOSALS_PER_STUDENT.amount + 1


@pytest.mark.parametrize("title", ["Two\nlines", "Carriage\rreturn", "Tab\tinside", "Line\u2028separator"])
def test_a_title_with_a_line_break_or_control_character_is_refused(client_for, course, student, title):
    page = _upload(client_for(student), course, title=title).content.decode()
    assert "Write it on one line" in page
    assert not Dataset.objects.exists()
