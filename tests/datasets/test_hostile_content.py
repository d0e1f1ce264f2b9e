"""Hostile bytes all the way to the database, and Parquet kept out of the web process
(docs/reliability.md rows 14 and 19; the loader's own checks are in tests/profiling)."""
import io
import json
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseproj.courses.models import Membership
from datasets import jobs, runner, services
from datasets.models import Dataset, JobStatus

# pyarrow 14.0.1 fixed arbitrary code execution when reading an untrusted
# Parquet/IPC file (CVE-2023-47248); nothing older may be installed.
PATCHED_PYARROW = (14, 0, 1)


def _upload(course, instructor, name: str, content: bytes, *, title: str, file_format: str, target: str = "label"):
    membership = Membership.objects.get(course=course, user=instructor)
    return services.dataset_upload(membership=membership, uploaded=SimpleUploadedFile(name, content),
                                   file_format=file_format, title=title, target_column=target)[0]


def _profile(dataset: Dataset) -> Dataset:
    token = jobs.profile_job_claim(job_id=dataset.profile_job_id, message_id="test")
    runner.profile_job_run(job_id=dataset.profile_job_id, token=token)
    return Dataset.objects.select_related("profile_job").get(pk=dataset.pk)


@pytest.mark.reliability(14)
def test_row14_nul_and_control_characters_never_reach_the_database(course, instructor):
    """PostgreSQL refuses NUL in text and jsonb (SQLite stores it): the same rows are saved on both."""
    rows = ["na\x00me,sc\x01ore,label"] + [f"a\x00b{n},{n}\x07,{'yes' if n % 2 else 'no'}" for n in range(60)]
    dataset = _upload(course, instructor, "nul.csv", "\n".join(rows).encode(), title="Cells\x00 with NUL",
                      file_format="csv")
    dataset = _profile(dataset)

    assert dataset.profile_job.status == JobStatus.DONE, dataset.profile_job.error_message
    stored = json.dumps([dataset.title, dataset.column_names, dataset.preview, dataset.profile_job.result])
    assert "\\u0000" not in stored and "\\u0001" not in stored and "\\u0007" not in stored
    assert dataset.title == "Cells with NUL" and dataset.rows == 60
    # In the file's order on both databases (PostgreSQL's jsonb reorders an object's keys).
    assert dataset.column_names == ["name", "score", "label"] and dataset.preview[0][0] == "ab0"


@pytest.mark.reliability(19)
def test_row19_pyarrow_is_at_least_the_release_that_fixed_untrusted_file_reads():
    installed = tuple(int(part) for part in pa.__version__.split(".")[:3])
    assert installed >= PATCHED_PYARROW


@pytest.mark.reliability(19)
def test_row19_the_web_process_stores_a_parquet_upload_without_opening_it(course, instructor):
    """Only the worker reads Parquet (under its time and memory caps: tests/drills rows 41, 42)."""
    buffer = io.BytesIO()
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0, 4.0], "label": ["a", "b", "a", "b"]}), buffer)
    with mock.patch.object(pq, "read_table", side_effect=AssertionError("opened in the web process")), \
            mock.patch.object(pq, "ParquetFile", side_effect=AssertionError("opened in the web process")):
        dataset = _upload(course, instructor, "t.parquet", buffer.getvalue(), title="Parquet", file_format="parquet")
    assert dataset.pk and dataset.file and dataset.profile_job.status in (JobStatus.PENDING, JobStatus.QUEUED)
