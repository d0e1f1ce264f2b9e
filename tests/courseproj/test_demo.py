"""The README's run command: demo data that loads twice without duplicates, and the worker it starts."""
import subprocess
import time

import pytest
from django.conf import settings
from django.db import connection

from courseproj.demo import DEMO_JOIN_CODE, load_demo
from courseproj.management.commands.demo import worker_command
from courseproj.courses.models import Course, Membership
from datasets.models import Dataset, JobStatus, ProfileJob
from matching.models import Interest
from tests.drills.processes import database_url


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Course, Membership, Dataset, ProfileJob, Interest))


def test_demo_data_loads_twice_without_duplicates(db):
    course = load_demo(students=6)
    first = _counts()
    assert course.join_code == DEMO_JOIN_CODE
    assert course.datasets.count() == 5 and course.memberships.students().count() == 6
    assert len(set(Interest.objects.filter(course=course).values_list("student", flat=True))) == 6
    load_demo(students=6)
    assert _counts() == first


@pytest.mark.django_db(transaction=True)
def test_the_demo_worker_starts_and_profiles_the_catalog():
    """The exact command the demo runs (an option typo once kept it from starting at all)."""
    load_demo(students=2)
    command, env = worker_command()
    env = {**env, "DATABASE_URL": database_url(connection.settings_dict)}
    worker = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and ProfileJob.objects.exclude(status=JobStatus.DONE).exists():
            assert worker.poll() is None, f"the demo's worker exited with {worker.returncode}"
            time.sleep(0.5)
        assert set(ProfileJob.objects.values_list("status", flat=True)) == {JobStatus.DONE}
    finally:
        worker.terminate()
        worker.wait(timeout=30)
