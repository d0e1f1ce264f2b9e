from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("matching", "0006_activity_replaced_display_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchrun",
            name="notify_attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="matchrun",
            name="notify_error",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
