"""A database made before the apps were split (courses, datasets, runs, plans) migrates with every row kept."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The newest migrations of main before the split into courseproj/courses, /planner, /dashboard.
BEFORE = [("courseproj", "0002_planner"), ("datasets", "0002_job_runner_and_worker_canary"),
          ("matching", "0004_run_notified_at")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_rows_made_before_the_split_survive_it():
    old = _migrate(BEFORE)
    User, Course, Membership = (old.get_model("courseproj", m) for m in ("User", "Course", "Membership"))
    Dataset, Interest, MatchRun = old.get_model("datasets", "Dataset"), old.get_model("matching", "Interest"), \
        old.get_model("matching", "MatchRun")
    Activity = old.get_model("matching", "Activity")
    Assignment, Plan = old.get_model("courseproj", "ProjectAssignment"), old.get_model("courseproj", "Plan")
    Milestone = old.get_model("courseproj", "PlanMilestone")
    lena = User.objects.create(email="lena@example.com", name="Lena Fischer")
    course = Course.objects.create(title="ML 101", join_code="ABC234", display_token="t" * 32)
    Membership.objects.create(course=course, user=lena, role="student")
    iris = Dataset.objects.create(course=course, title="Iris", content_hash="x" * 64)
    Interest.objects.create(course=course, student=lena, dataset=iris, rank=1)
    run = MatchRun.objects.create(course=course, status="published", min_size=2,
                                  result={"assignments": {str(lena.pk): str(iris.pk)}})
    Activity.objects.create(course=course, version=41)
    assignment = Assignment.objects.create(course=course, title="Mini-project", launch_on="2026-11-02",
                                           checkin_on="2026-11-09", due_on="2026-11-30")
    plan = Plan.objects.create(assignment=assignment, student=lena, dataset=iris, status="submitted",
                               answers={"Application": "Sort flowers."})
    Milestone.objects.create(plan=plan, title="Baseline", due_on="2026-11-05")

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from courseproj.courses.models import Course as NewCourse
    from courseproj.planner.models import Plan as NewPlan
    from matching.models import MatchRun as NewRun

    moved = NewPlan.objects.select_related("assignment", "student", "dataset").get(pk=plan.pk)
    assert (moved.student.name, moved.dataset.title, moved.assignment.title) == ("Lena Fischer", "Iris", "Mini-project")
    assert moved.answers == {"Application": "Sort flowers."} and moved.status == "submitted"
    assert moved.milestones.get().title == "Baseline"
    assert NewRun.objects.get(pk=run.pk).result["assignments"] == {str(lena.pk): str(iris.pk)}
    # The live version continues past the activity's, so an open projector's ETag never matches another board.
    assert NewCourse.objects.get(pk=course.pk).live_version > 41
    from django.contrib.contenttypes.models import ContentType
    assert ContentType.objects.get_for_model(NewPlan).app_label == "planner"
