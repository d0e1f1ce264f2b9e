from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("courseproj", "0003_planner_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="course",
            name="email_confirmation_later",
            field=models.BooleanField(
                default=False,
                help_text="Students who sign up through this course's join link start at once and confirm their email afterwards.",
                verbose_name="students confirm their email later",
            ),
        ),
    ]
