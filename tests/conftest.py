import os

import pytest
from django.core.cache import cache

from tests import factories

# @pytest.mark.reliability(row): a whole-suite run fails when a row of docs/reliability.md has no passing test.
pytest_plugins = ["tests.reliability_plugin"]

# pytest-django creates the test database next to Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _live_streams_end_with_the_test():
    """A page's live stream (matching/live.py) ends with its test: the process's reading thread stops
    and closes its database connection before the test database is flushed or dropped."""
    yield
    from matching.live import hub

    if hub.count or hub._thread is not None:
        hub.stop()


# --- the cast: an instructor, two students, and an outsider from another course ---


@pytest.fixture
def course(db):
    return factories.CourseFactory(title="ML 101")


@pytest.fixture
def instructor(course):
    return factories.MembershipFactory(course=course, role="instructor", user__name="Ivy Instructor").user


@pytest.fixture
def student(course):
    return factories.MembershipFactory(course=course, role="student", user__name="Sam Student").user


@pytest.fixture
def classmate(course):
    return factories.MembershipFactory(course=course, role="student", user__name="Cleo Classmate").user


@pytest.fixture
def outsider(db):
    other = factories.CourseFactory(title="Other course")
    return factories.MembershipFactory(course=other, role="instructor", user__name="Otto Outsider").user


@pytest.fixture
def dataset(course):
    return factories.DatasetFactory(course=course, title="Iris flowers")


@pytest.fixture
def client_for(client):
    """Log a user in on the test client: `client_for(student).get(...)`."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- the planner (issue 6) ---


@pytest.fixture
def assignment(course):
    return factories.ProjectAssignmentFactory(course=course, title="Small-data mini-project")


@pytest.fixture
def homework9(course):
    """Homework 9 as the seed sets it: two tutorials from two different categories, or the alternative track."""
    from courseproj.demo import homework9_assignment

    return homework9_assignment(course=course, launch=factories.LAUNCH)


@pytest.fixture
def worker_inline():
    """Tasks run at once in the test process, as a worker would run them (no broker, no worker)."""
    from courseproj.celery import app

    # The app reads Django's CELERY_* names, which win over the plain ones.
    saved = {"CELERY_TASK_ALWAYS_EAGER": app.conf.task_always_eager,
             "CELERY_TASK_EAGER_PROPAGATES": app.conf.task_eager_propagates}
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_EAGER_PROPAGATES=True)
    yield
    app.conf.update(saved)
