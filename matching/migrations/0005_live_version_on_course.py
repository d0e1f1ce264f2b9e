"""The live pages' version moves from the activity to the course row.

Services of every app bump it (courses is the one app they all depend on);
each course keeps the version its activity had, so an open projector's ETag
never matches a different board.
"""
from django.db import migrations


def version_to_course(apps, schema_editor):
    Activity = apps.get_model("matching", "Activity")
    Course = apps.get_model("courseproj", "Course")
    for course_id, version in Activity.objects.values_list("course_id", "version"):
        Course.objects.filter(pk=course_id).update(live_version=version + 1)


def version_to_activity(apps, schema_editor):
    Activity = apps.get_model("matching", "Activity")
    Course = apps.get_model("courseproj", "Course")
    for course_id, version in Course.objects.values_list("pk", "live_version"):
        Activity.objects.filter(course_id=course_id).update(version=version)


class Migration(migrations.Migration):

    dependencies = [
        ('courseproj', '0003_planner_moved_out'),
        ('matching', '0004_run_notified_at'),
    ]

    operations = [
        migrations.RunPython(version_to_course, version_to_activity),
        migrations.RemoveField(
            model_name='activity',
            name='version',
        ),
    ]
