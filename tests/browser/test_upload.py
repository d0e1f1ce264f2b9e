"""An instructor uploads a CSV, watches the profile's progress bar move, and reads the finished report (issue 3).

A real Celery worker process profiles the upload: on the embedded filesystem
broker in the default run, on REDIS_URL when it is set.
"""
import io
import os
import time

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

from datasets.models import Dataset
from tests import factories
from tests.browser.conftest import PHONE
from tests.drills.processes import Worker, close_database_sessions, database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def heart_csv(rows: int = 5000) -> bytes:
    """A few thousand patients: numbers, categories, gaps and an identifier, so the report has something to say."""
    rng = np.random.default_rng(9)
    age = rng.integers(29, 80, rows)
    pressure = rng.normal(130, 18, rows).round(0)
    cholesterol = rng.normal(240, 45, rows).round(0)
    cholesterol[rng.random(rows) < 0.05] = np.nan
    chest_pain = rng.choice(["typical", "atypical", "non-anginal", "none"], rows, p=[0.2, 0.2, 0.3, 0.3])
    risk = 0.04 * (age - 55) + 0.02 * (pressure - 130) + (chest_pain == "typical") * 1.2 + rng.normal(0, 1, rows)
    frame = pd.DataFrame({
        "patient_id": [f"P{n:05d}" for n in range(rows)],
        "age": age, "resting_bp": pressure, "cholesterol": cholesterol, "chest_pain": chest_pain,
        "max_heart_rate": rng.normal(150, 20, rows).round(0),
        "disease": np.where(risk > 0.8, "yes", "no"),
    })
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@pytest.fixture
def worker(live_server, tmp_path, django_db_blocker):
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url(connection.settings_dict),
        # Test-only (tests/drills/faults.py): 0.25 s more per progress step, so
        # even a fast machine shows the bar at several points.
        "DRILL_SLOW_STEP": "0.25",
        # Its own beat re-sends a message that went missing: on a Redis shared
        # with other test runs, another run's worker may take it.
        "PROFILE_SWEEP_SECONDS": "1", "PROFILE_REQUEUE_SECONDS": "5",
    }
    process = Worker(name="browser", env=env, log_dir=tmp_path, beat=True)
    process.start()
    yield process
    process.stop()
    with django_db_blocker.unblock():  # pytest-django blocks the database in fixture teardown
        close_database_sessions()


def test_instructor_uploads_a_csv_watches_the_progress_and_reads_the_report(live_server, browser, look, worker, tmp_path):
    base = live_server.url
    instructor = factories.MembershipFactory(role="instructor", course__title="ML 101", user__name="Ivy Instructor")
    course = instructor.course
    client = Client()
    client.force_login(instructor.user)
    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    page = context.new_page()
    upload = tmp_path / "heart.csv"
    upload.write_bytes(heart_csv())

    # 1. The upload form.
    page.goto(f"{base}/c/{course.pk}/datasets/upload/")
    page.get_by_label("Data file").set_input_files(str(upload))
    page.get_by_label("Title").fill("Heart checks")
    page.get_by_label("Target column").fill("disease")
    look(page, "1-upload")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{base}/c/{course.pk}/datasets/*/")
    dataset = Dataset.objects.get()

    # 2. The report page polls the job: the bar moves, then the page reloads with the report.
    page.get_by_role("link", name="Profile and baselines").click()
    seen: list[int] = []
    shot = False
    deadline = time.monotonic() + 90
    while not page.get_by_role("heading", name="How quick baselines score").is_visible():
        assert time.monotonic() < deadline, f"the profile did not finish; progress seen {seen}"
        try:  # one atomic read: htmx swaps the fragment every second, and the page reloads when done
            value = page.evaluate("document.querySelector('#progress progress[value]')?.getAttribute('value')")
        except PlaywrightError:  # the reload destroyed the page's context meanwhile
            value = None
        if value is not None:
            value = int(value)
            if not seen or value != seen[-1]:
                seen.append(value)
            if 0 < value < 100 and not shot:
                look(page, "2-progress")
                shot = True
        page.wait_for_timeout(150)
    moving = [value for value in seen if 0 < value < 100]
    assert len(set(moving)) >= 2, f"the bar did not move: {seen}"

    # 3. The finished report: summary, baseline to beat, warnings, charts with text alternatives.
    assert page.get_by_text("Baseline to beat").is_visible()
    assert page.get_by_role("img", name="Balanced accuracy per model").is_visible()
    assert page.get_by_text("patient_id").first.is_visible()  # the identifier warning names it
    assert page.get_by_role("row", name="cholesterol number").get_by_text("%").is_visible()  # its gaps are counted
    look(page, "3-report")
    page.get_by_text("All scores as a table, and what each number means").click()
    look(page, "4-report-details")
    assert "profiled" in worker.reported(1)

    # 4. The dataset page now shows the profile's facts.
    page.goto(f"{base}/c/{course.pk}/datasets/{dataset.pk}/")
    assert page.get_by_text("Profile ready").is_visible()
    look(page, "5-dataset")

    # 5. The report on a phone: nothing wider than the screen.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    small = phone.new_page()
    small.goto(f"{base}/c/{course.pk}/datasets/{dataset.pk}/profile/")
    assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    look(small, "6-report-phone")
    print(f"\nupload: progress values seen {seen}")
