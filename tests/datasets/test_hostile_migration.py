"""Proposals made before issue 15 get their uploader, so a student's re-upload still finds their own row."""
import importlib

from django.apps import apps

from datasets.models import Dataset, DatasetStatus
from tests import factories

migration = importlib.import_module("datasets.migrations.0003_dataset_uploader_key")


def test_existing_proposals_are_keyed_by_their_student(course, student):
    proposal = factories.DatasetFactory(course=course, content_hash="x" * 64, proposed_by=student,
                                        status=DatasetStatus.PROPOSED)
    catalog = factories.DatasetFactory(course=course, content_hash="y" * 64)

    migration.fill_uploader_key(apps, None)  # the data step, in the SQL of the database under test

    assert Dataset.objects.get(pk=proposal.pk).uploader_key == f"student:{student.pk}"
    assert Dataset.objects.get(pk=catalog.pk).uploader_key == ""
