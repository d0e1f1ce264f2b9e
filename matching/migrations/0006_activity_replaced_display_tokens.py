from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0005_live_version_on_course"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="replaced_display_tokens",
            field=models.TextField(blank=True, default=""),
        ),
    ]
