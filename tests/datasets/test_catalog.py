"""The catalog: built-ins, uploads and their checks (docs/reliability.md rows 1, 3, 4, 18, 20, 21, 24)."""
import html
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datasets.models import Dataset, DatasetStatus, ProfileJob
from datasets.services import dataset_add_builtin
from tests import factories

CSV = b"sepal,petal,species\n1.0,2.0,a\n1.5,2.5,b\n"


def _upload(client, course, content: bytes, name="data.csv", **fields):
    data = {"title": fields.pop("title", "My data"), "file": SimpleUploadedFile(name, content), **fields}
    return client.post(reverse("dataset_upload", args=[course.pk]), data, follow=True)


def test_instructor_adds_builtins_once(client_for, course, instructor):
    client = client_for(instructor)
    client.post(reverse("dataset_add_builtin", args=[course.pk]), {"keys": ["iris", "penguins"]})
    client.post(reverse("dataset_add_builtin", args=[course.pk]), {"keys": ["iris"]})
    assert sorted(Dataset.objects.values_list("builtin_key", flat=True)) == ["iris", "penguins"]
    iris = Dataset.objects.get(builtin_key="iris")
    assert (iris.rows, iris.target_column, iris.task) == (150, "species", "multiclass")
    assert iris.column_names[-1] == "species" and len(iris.preview) == 10


def test_same_builtin_in_two_courses_shares_one_profile_job(course, outsider):
    other = outsider.memberships.get().course
    first, _ = dataset_add_builtin(course=course, key="wine")
    second, _ = dataset_add_builtin(course=other, key="wine")
    assert first.pk != second.pk
    assert first.profile_job_id == second.profile_job_id
    assert ProfileJob.objects.count() == 1


def test_student_cannot_add_builtins(client_for, course, student):
    assert client_for(student).post(reverse("dataset_add_builtin", args=[course.pk]), {"keys": ["iris"]}).status_code == 403
    assert not Dataset.objects.exists()


def test_instructor_upload_goes_into_the_catalog(client_for, course, instructor, settings):
    response = _upload(client_for(instructor), course, CSV, target_column="species")
    dataset = Dataset.objects.get()
    assert response.redirect_chain[-1][0] == reverse("dataset_detail", args=[course.pk, dataset.pk])
    assert dataset.status == DatasetStatus.APPROVED
    assert dataset.file_format == "csv"
    assert dataset.profile_job is not None and dataset.profile_job.status in ("pending", "queued")


def test_student_upload_is_a_proposal_visible_only_to_them_and_staff(client_for, course, student, classmate, instructor):
    _upload(client_for(student), course, CSV)
    dataset = Dataset.objects.get()
    assert dataset.status == DatasetStatus.PROPOSED and dataset.proposed_by == student
    assert client_for(classmate).get(reverse("dataset_detail", args=[course.pk, dataset.pk])).status_code == 404
    assert client_for(instructor).get(reverse("dataset_detail", args=[course.pk, dataset.pk])).status_code == 200


def test_instructor_approves_a_proposal(client_for, course, student, instructor):
    _upload(client_for(student), course, CSV)
    dataset = Dataset.objects.get()
    client_for(instructor).post(reverse("dataset_approve", args=[course.pk, dataset.pk]))
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.APPROVED


@pytest.mark.reliability(1)
def test_empty_upload_is_refused_and_nothing_is_saved(client_for, course, instructor):
    """Row 1."""
    response = _upload(client_for(instructor), course, b"")
    assert "The file is empty." in response.content.decode()
    assert not Dataset.objects.exists() and not ProfileJob.objects.exists()


@pytest.mark.reliability(3)
def test_oversized_upload_is_refused_from_its_header(client_for, course, instructor, settings):
    """Row 3: the middleware answers 413 without reading the body."""
    settings.UPLOAD_MAX_BYTES = 1024
    response = client_for(instructor).post(
        reverse("dataset_upload", args=[course.pk]),
        {"title": "big", "file": SimpleUploadedFile("big.csv", b"a,b\n" + b"1,2\n" * 100_000)},
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not Dataset.objects.exists()


@pytest.mark.reliability(3)
def test_oversized_upload_without_length_is_stopped_while_streaming(rf, settings, course, instructor):
    """Row 3: the handler stops reading once the cap is passed, whatever the header says."""
    from django.core.files.uploadhandler import StopUpload

    from datasets.uploads import CappedUploadHandler

    settings.UPLOAD_MAX_BYTES = 1000
    request = rf.post("/")
    handler = CappedUploadHandler(request)
    assert handler.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 600, 600)
    assert request.upload_too_large is True


def test_too_large_flag_becomes_a_form_error(settings):
    from datasets.forms import DatasetUploadForm

    form = DatasetUploadForm({"title": "x"}, {}, too_large=True)
    assert not form.is_valid()
    assert "larger than" in str(form.non_field_errors())


@pytest.mark.parametrize(
    "name, content",
    [
        ("data.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("data.csv", b"PK\x03\x04" + b"\x00" * 64),
        ("data.xlsx", b"name,value\nnot,a zip\n"),
    ],
)
@pytest.mark.reliability(4)
def test_wrong_content_for_the_name_is_refused(client_for, course, instructor, name, content):
    """Row 4."""
    response = _upload(client_for(instructor), course, content, name=name)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Dataset.objects.exists()


REFUSED_ADVICE = [
    ("book.xls", "Old Excel files (.xls) are not accepted. Open the file in Excel or LibreOffice and save it as .xlsx"),
    ("macros.xlsm", "Excel files with macros (.xlsm) are not accepted: macros can run code."),
    ("binary.xlsb", "Binary Excel files (.xlsb) are not accepted. Save the sheet as .xlsx or CSV."),
    ("model.pkl", "Python pickle files can run code when opened, so they are never accepted. Export it as CSV"),
    ("model.joblib", "joblib files are pickles, which can run code when opened, so they are never accepted."),
    ("arr.npy", "NumPy files are not accepted (they can hold pickled objects). Export it as CSV"),
    ("t.feather", "Feather/Arrow files are not accepted. Export it as CSV"),
]


@pytest.mark.parametrize(("name", "advice"), REFUSED_ADVICE, ids=[name for name, _ in REFUSED_ADVICE])
@pytest.mark.reliability(18, 20)
def test_formats_outside_the_allow_list_are_refused(client_for, course, instructor, name, advice):
    """Rows 18 and 20: never opened, never unpickled; the form says why and what to upload instead."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    response = _upload(client_for(instructor), course, buffer.getvalue(), name=name)
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    assert any(advice in html.unescape(error) for error in errors), errors
    assert not Dataset.objects.exists()


@pytest.mark.reliability(21)
def test_hostile_file_name_is_stored_under_a_generated_name(client_for, course, instructor, settings):
    """Row 21."""
    hostile = "../../settings\u202egpj.py" + "x" * 300 + ".csv"
    _upload(client_for(instructor), course, CSV, name=hostile)
    dataset = Dataset.objects.get()
    assert dataset.file.name.startswith("datasets/") and ".." not in dataset.file.name
    assert "settings" not in dataset.file.name
    assert "\u202e" not in dataset.original_name and len(dataset.original_name) <= 120
    assert dataset.file.path.startswith(str(settings.MEDIA_ROOT))
    html = client_for(instructor).get(reverse("dataset_detail", args=[course.pk, dataset.pk])).content.decode()
    assert "\u202e" not in html


@pytest.mark.reliability(24)
def test_same_file_twice_is_one_dataset_and_one_job(client_for, course, instructor, student):
    """Row 24."""
    _upload(client_for(instructor), course, CSV)
    response = _upload(client_for(student), course, CSV, title="Again")
    assert "already in the course" in response.content.decode()
    assert Dataset.objects.count() == 1 and ProfileJob.objects.count() == 1


def test_catalog_search_and_filters(client_for, course, student):
    factories.DatasetFactory(course=course, title="Heart disease", tags="medicine", task="binary", rows=300)
    factories.DatasetFactory(course=course, title="Bird songs", tags="biology", task="multiclass", rows=50_000)
    client = client_for(student)
    url = reverse("catalog", args=[course.pk])

    def titles(**query):
        html = client.get(url, query).content.decode()
        return [t for t in ("Heart disease", "Bird songs") if t in html]

    assert titles(q="heart") == ["Heart disease"]
    assert titles(domain="biology") == ["Bird songs"]
    assert titles(task="binary") == ["Heart disease"]
    assert titles(size="medium") == ["Bird songs"]
    assert titles(size="small") == ["Heart disease"]


def test_catalog_htmx_request_gets_the_results_fragment(client_for, course, student, dataset):
    html = client_for(student).get(reverse("catalog", args=[course.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Iris flowers" in html and "<html" not in html


def test_dataset_page_shows_columns_and_preview(client_for, course, student, dataset):
    html = client_for(student).get(reverse("dataset_detail", args=[course.pk, dataset.pk])).content.decode()
    assert "<th scope=\"col\">label</th>" in html
    assert "<td>x</td>" in html


@pytest.mark.reliability(23)
def test_script_in_a_title_is_escaped(client_for, course, student):
    """Row 23 (catalog side)."""
    factories.DatasetFactory(course=course, title="<script>alert(1)</script>")
    html = client_for(student).get(reverse("catalog", args=[course.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pages_carry_a_content_security_policy_without_inline_script(client_for, course, student):
    response = client_for(student).get(reverse("catalog", args=[course.pk]))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
