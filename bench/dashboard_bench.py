"""How fast the instructor dashboard renders for a big class, and how many SQL queries it takes.

    .venv/bin/python bench/dashboard_bench.py [--students 300] [--runs 30]

Builds a throwaway SQLite database (never the app's or the test suite's) with
one course: N students with ranked lists, a published matching, profiled
datasets, a project assignment with the Homework 9 menu, a plan per student
(mixed statuses, two picks each) and a roster with some who never joined.
Then it renders the dashboard through Django's test client (the whole stack:
middleware, view, selectors, templates) and prints the median and the spread
over the runs, and the query count. Production-like settings: DEBUG off, so
templates are not instrumented.

The machine is shared and noisy: read the median, and compare runs made in
the same process rather than bare numbers across days.
"""
import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VAR = tempfile.mkdtemp(prefix="courseproj-bench-")
Path(VAR, "staticfiles").mkdir()  # WhiteNoise wants the folder to exist, even empty
atexit.register(shutil.rmtree, VAR, ignore_errors=True)
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "courseproj.settings",
    "COURSEPROJ_VAR_DIR": VAR,
    "DATABASE_URL": f"sqlite:///{VAR}/bench.sqlite3",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    "DJANGO_HSTS_SECONDS": "0",
})

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from courseproj.planner import services as planner  # noqa: E402
from courseproj.demo import HOMEWORK9_OUTLINE  # noqa: E402
from courseproj.courses.models import Course, Membership, Role, RosterEntry, User
from courseproj.planner.models import ChoicePick, Plan, PlanStatus, ProjectAssignment
from datasets.models import Dataset, ProfileJob  # noqa: E402
from matching.models import Interest, MatchRun  # noqa: E402

MODELS = ["Majority class", "Logistic regression", "k-nearest neighbours", "Naive Bayes", "Decision tree",
          "Random forest", "Histogram gradient boosting", "Small neural network"]
STATUSES = [PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.SUBMITTED, PlanStatus.APPROVED, PlanStatus.CHANGES_REQUESTED]


def profile_result(seed: int) -> dict:
    """A profile the size the engine writes: baselines, a learning curve, a confusion matrix, warnings."""
    baselines = [{"model": m, "accuracy": 0.5 + (seed * 7 + i) % 40 / 100, "balanced_accuracy": 0.5 + (seed * 3 + i) % 45 / 100,
                  "f1_macro": 0.5 + i / 30, "log_loss": 0.2 + i / 10, "fit_seconds": 0.01 * i} for i, m in enumerate(MODELS)]
    best = max(baselines, key=lambda b: b["balanced_accuracy"])["model"]
    return {"rows": 500 + seed, "columns": 12, "baselines": baselines, "best_model": best,
            "learning_curve": {"train_sizes": [50, 100, 200, 400], "train_scores": [0.9, 0.88, 0.87, 0.86],
                               "validation_scores": [0.7, 0.75, 0.8, 0.82]},
            "confusion_matrix": {"labels": ["a", "b", "c"], "matrix": [[30, 2, 1], [3, 28, 2], [0, 4, 30]]},
            "warnings": [{"code": "small_class", "message": "Class c has 29 examples."}],
            "column_types": {f"col{i}": "numeric" for i in range(12)}}


def build(students: int) -> tuple[Course, User]:
    call_command("migrate", verbosity=0)
    course = Course.objects.create(title=f"Benchmark course ({students} students)")
    teacher = User.objects.create_user("prof@bench.example", None, name="Prof Bench")
    Membership.objects.create(course=course, user=teacher, role=Role.INSTRUCTOR)
    jobs = [ProfileJob.objects.create(content_key=f"bench:{i}", engine_version="bench", status="done",
                                      result=profile_result(i)) for i in range(8)]
    datasets = [Dataset.objects.create(course=course, title=f"Dataset {i:02d} about something", rows=500 + i,
                                       profile_job=jobs[i] if i < len(jobs) else None) for i in range(12)]
    users = User.objects.bulk_create([User(email=f"s{i:04d}@bench.example", name=f"Student {i:04d}", password="!")
                                      for i in range(students)])
    Membership.objects.bulk_create([Membership(course=course, user=u, role=Role.STUDENT) for u in users])
    Interest.objects.bulk_create([
        Interest(course=course, student=u, dataset=datasets[(i + r) % len(datasets)], rank=r + 1)
        for i, u in enumerate(users) if i % 9 for r in range(3)  # every ninth student has not ranked
    ])
    MatchRun.objects.create(course=course, status="published", min_size=2, result={"assignments": {
        str(u.pk): str(datasets[i % 11].pk if i != 5 else datasets[11].pk) for i, u in enumerate(users)}})
    today = date.today()
    assignment = ProjectAssignment.objects.create(course=course, title="Mini-project", launch_on=today,
                                                  checkin_on=today + timedelta(days=7), due_on=today + timedelta(days=21))
    planner.menu_save(assignment=assignment, outline=planner.parse_menu_outline(HOMEWORK9_OUTLINE), pick_count=2,
                      distinct_categories=True, alternative_label="Classifier from scratch")
    options = list(ChoiceOption.objects.filter(category__menu__assignment=assignment).select_related("category"))
    answers = {label: "An answer of a few sentences. " * 4 for label in assignment.plan_fields}
    plans = Plan.objects.bulk_create([
        Plan(assignment=assignment, student=u, dataset=datasets[i % 11], answers=answers, status=STATUSES[i % len(STATUSES)])
        for i, u in enumerate(users) if i % 7  # every seventh student has no plan
    ])
    ChoicePick.objects.bulk_create([
        ChoicePick(plan=p, option=options[(i + k * 5) % len(options)], reflection="It went well.")
        for i, p in enumerate(plans) for k in range(2)
    ])
    RosterEntry.objects.bulk_create(
        [RosterEntry(course=course, email=u.email, name=u.name) for u in users]
        + [RosterEntry(course=course, email=f"late{i}@bench.example", name=f"Late {i}") for i in range(students // 15)]
    )
    return course, teacher


def measure(client: Client, url: str, runs: int, headers: dict | None = None) -> tuple[list[float], int]:
    for _ in range(3):  # warm caches: templates, URL resolver, SQLite pages
        assert client.get(url, headers=headers).status_code == 200
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=headers)
    return times, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    # No collected static files in a throwaway folder: plain storage instead of the manifest.
    with override_settings(STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                                     "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
        started = time.perf_counter()
        course, teacher = build(args.students)
        print(f"built a course of {args.students} students in {time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(teacher)
        page = reverse("dashboard", args=[course.pk])
        for name, url, headers in [
            ("dashboard page", page, None),
            ("filtered table (htmx)", page + "?list=no_plan&q=student", {"HX-Request": "true"}),
            ("CSV export", reverse("dashboard_export", args=[course.pk]), None),
        ]:
            times, queries = measure(client, url, args.runs, headers)
            quartiles = statistics.quantiles(times, n=4)
            print(f"{name:24} median {statistics.median(times):7.1f} ms  (quartiles {quartiles[0]:.1f}–{quartiles[2]:.1f} ms, "
                  f"{args.runs} runs)  {queries} SQL queries")


if __name__ == "__main__":
    main()
