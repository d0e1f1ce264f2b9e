"""The planner's models moved to the `planner` app with their tables.

Only Django's record of where the models live changes here (state); the
tables and their rows stay. planner/migrations/0001_initial.py takes them over.
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('courseproj', '0002_planner'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='choiceoption',
                    name='category',
                ),
                migrations.RemoveField(
                    model_name='choicemenu',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='choicepick',
                    name='option',
                ),
                migrations.RemoveField(
                    model_name='choicepick',
                    name='plan',
                ),
                migrations.RemoveField(
                    model_name='plan',
                    name='assignment',
                ),
                migrations.RemoveField(
                    model_name='plan',
                    name='dataset',
                ),
                migrations.RemoveField(
                    model_name='plan',
                    name='student',
                ),
                migrations.RemoveField(
                    model_name='planmilestone',
                    name='plan',
                ),
                migrations.RemoveField(
                    model_name='plancomment',
                    name='plan',
                ),
                migrations.RemoveField(
                    model_name='plancomment',
                    name='author',
                ),
                migrations.RemoveField(
                    model_name='projectassignment',
                    name='course',
                ),
                migrations.DeleteModel(
                    name='ChoiceCategory',
                ),
                migrations.DeleteModel(
                    name='ChoiceMenu',
                ),
                migrations.DeleteModel(
                    name='ChoiceOption',
                ),
                migrations.DeleteModel(
                    name='ChoicePick',
                ),
                migrations.DeleteModel(
                    name='PlanMilestone',
                ),
                migrations.DeleteModel(
                    name='Plan',
                ),
                migrations.DeleteModel(
                    name='PlanComment',
                ),
                migrations.DeleteModel(
                    name='ProjectAssignment',
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name='course',
            name='live_version',
            field=models.PositiveBigIntegerField(default=1),
        ),
    ]
