"""The planner's models, taken over from the `courseproj` app with their tables (db_table).

State only: the tables and rows already exist (courseproj 0002_planner made
them). Content types follow, so admin history and permissions keep pointing at
the same rows.
"""

import courseproj.planner.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


PLANNER_MODELS = ["projectassignment", "choicemenu", "choicecategory", "choiceoption", "plan",
                  "planmilestone", "choicepick", "plancomment"]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in PLANNER_MODELS:
        if not ContentType.objects.filter(app_label="planner", model=model).exists():
            ContentType.objects.filter(app_label="courseproj", model=model).update(app_label="planner")


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="planner", model__in=PLANNER_MODELS).update(app_label="courseproj")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('courseproj', '0003_planner_moved_out'),
        ('datasets', '0002_job_runner_and_worker_canary'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ChoiceMenu',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('instructions', models.TextField(blank=True)),
                        ('pick_count', models.PositiveSmallIntegerField(default=2, verbose_name='how many to pick')),
                        ('distinct_categories', models.BooleanField(default=True, verbose_name='each from a different category')),
                        ('alternative_label', models.CharField(blank=True, help_text='Leave empty when there is no alternative.', max_length=200, verbose_name='alternative track')),
                        ('alternative_url', models.URLField(blank=True, verbose_name='alternative track link')),
                    ],
                    options={
                        'db_table': 'courseproj_choicemenu',
                    },
                ),
                migrations.CreateModel(
                    name='ChoiceCategory',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('note', models.CharField(blank=True, max_length=300)),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('menu', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='categories', to='planner.choicemenu')),
                    ],
                    options={
                        'db_table': 'courseproj_choicecategory',
                        'ordering': ['position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ChoiceOption',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200)),
                        ('url', models.URLField(blank=True)),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('category', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='options', to='planner.choicecategory')),
                    ],
                    options={
                        'db_table': 'courseproj_choiceoption',
                        'ordering': ['category__position', 'position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Plan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('answers', models.JSONField(blank=True, default=dict)),
                        ('takes_alternative', models.BooleanField(default=False, verbose_name='takes the alternative track')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Waiting for approval'), ('changes_requested', 'Changes requested'), ('approved', 'Approved')], default='draft', max_length=20)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('dataset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='plans', to='datasets.dataset')),
                        ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='plans', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'courseproj_plan',
                        'ordering': ['assignment', 'student__name', 'student__email'],
                    },
                ),
                migrations.CreateModel(
                    name='ChoicePick',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reflection', models.TextField(blank=True)),
                        ('option', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='picks', to='planner.choiceoption')),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='picks', to='planner.plan')),
                    ],
                    options={
                        'db_table': 'courseproj_choicepick',
                        'ordering': ['option__category__position', 'option__position'],
                    },
                ),
                migrations.CreateModel(
                    name='PlanComment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField(blank=True)),
                        ('event', models.CharField(blank=True, choices=[('draft', 'Draft'), ('submitted', 'Waiting for approval'), ('changes_requested', 'Changes requested'), ('approved', 'Approved')], max_length=20)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='plan_comments', to=settings.AUTH_USER_MODEL)),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='planner.plan')),
                    ],
                    options={
                        'db_table': 'courseproj_plancomment',
                        'ordering': ['created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='PlanMilestone',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=120)),
                        ('due_on', models.DateField(verbose_name='date')),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='milestones', to='planner.plan')),
                    ],
                    options={
                        'db_table': 'courseproj_planmilestone',
                        'ordering': ['due_on', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ProjectAssignment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200)),
                        ('instructions', models.TextField(blank=True)),
                        ('launch_on', models.DateField(verbose_name='launch')),
                        ('checkin_on', models.DateField(verbose_name='check-in')),
                        ('due_on', models.DateField(verbose_name='due')),
                        ('plan_fields', models.JSONField(blank=True, default=courseproj.planner.models.default_plan_fields)),
                        ('needs_dataset', models.BooleanField(default=True, help_text='Off for an assignment without data, like a tutorial homework.', verbose_name='students choose a dataset')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('course', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='project_assignments', to='courseproj.course')),
                    ],
                    options={
                        'db_table': 'courseproj_projectassignment',
                        'ordering': ['-launch_on', '-pk'],
                    },
                ),
                migrations.AddField(
                    model_name='plan',
                    name='assignment',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='plans', to='planner.projectassignment'),
                ),
                migrations.AddField(
                    model_name='choicemenu',
                    name='assignment',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='menu', to='planner.projectassignment'),
                ),
                migrations.AddConstraint(
                    model_name='choicecategory',
                    constraint=models.UniqueConstraint(fields=('menu', 'name'), name='one_category_per_name'),
                ),
                migrations.AddConstraint(
                    model_name='choiceoption',
                    constraint=models.UniqueConstraint(fields=('category', 'title'), name='one_option_per_title'),
                ),
                migrations.AddConstraint(
                    model_name='choicepick',
                    constraint=models.UniqueConstraint(fields=('plan', 'option'), name='one_pick_per_option'),
                ),
                migrations.AddConstraint(
                    model_name='projectassignment',
                    constraint=models.CheckConstraint(condition=models.Q(('launch_on__lte', models.F('checkin_on')), ('checkin_on__lte', models.F('due_on'))), name='assignment_dates_in_order'),
                ),
                migrations.AddConstraint(
                    model_name='plan',
                    constraint=models.UniqueConstraint(fields=('assignment', 'student'), name='one_plan_per_student'),
                ),
                migrations.AddConstraint(
                    model_name='choicemenu',
                    constraint=models.CheckConstraint(condition=models.Q(('pick_count__gte', 1)), name='menu_picks_at_least_one'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
