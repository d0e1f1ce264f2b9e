"""A student's upload of a file a classmate proposed is the student's own row (issue 15).

The same content is unique per course and uploader instead of per course:
"" is the catalog (staff uploads), "student:<id>" a student's proposal.
"""
from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Cast, Concat


def fill_uploader_key(apps, schema_editor):
    Dataset = apps.get_model("datasets", "Dataset")
    Dataset.objects.filter(proposed_by__isnull=False).update(
        uploader_key=Concat(Value("student:"), Cast(F("proposed_by_id"), models.CharField()))
    )


class Migration(migrations.Migration):

    dependencies = [
        ("datasets", "0002_job_runner_and_worker_canary"),
    ]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="uploader_key",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(fill_uploader_key, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="dataset",
            name="one_dataset_per_file",
        ),
        migrations.AddConstraint(
            model_name="dataset",
            constraint=models.UniqueConstraint(
                condition=models.Q(("content_hash", ""), _negated=True),
                fields=("course", "content_hash", "uploader_key"),
                name="one_dataset_per_file_and_uploader",
            ),
        ),
    ]
