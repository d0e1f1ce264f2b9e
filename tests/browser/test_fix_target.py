"""A student fixes a mistyped target from the dataset page (issue 12): the upload names "Outcome " for the
column "outcome", the profile fails with a "did you mean" button, one click reruns it and the report appears.

A real Celery worker process profiles the upload, as in test_upload.py.
"""
import os
import time

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

from datasets.models import Dataset, JobStatus
from tests import factories
from tests.browser.conftest import PHONE
from tests.drills.processes import Worker, close_database_sessions, database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(live_server, tmp_path, django_db_blocker):
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url(connection.settings_dict),
        "PROFILE_SWEEP_SECONDS": "1", "PROFILE_REQUEUE_SECONDS": "5",
    }
    process = Worker(name="fix-target", env=env, log_dir=tmp_path, beat=True)
    process.start()
    yield process
    process.stop()
    with django_db_blocker.unblock():
        close_database_sessions()


def _csv(path, rows: int = 300) -> None:
    rng = np.random.default_rng(12)
    dose = rng.normal(50, 10, rows).round(1)
    pd.DataFrame({
        "dose": dose, "site": rng.choice(["north", "south"], rows), "outcome": np.where(dose > 52, "better", "same"),
    }).to_csv(path, index=False)


def _wait(page, predicate, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if predicate():
                return
        except PlaywrightError:  # the page reloaded under us
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(200)


def test_student_fixes_a_mistyped_target_from_the_dataset_page(live_server, browser, look, worker, tmp_path):
    base = live_server.url
    member = factories.MembershipFactory(role="student", course__title="ML 101", user__name="Sam Student")
    course = member.course
    client = Client()
    client.force_login(member.user)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    page = context.new_page()
    upload = tmp_path / "clinic.csv"
    _csv(upload)

    page.goto(f"{base}/c/{course.pk}/datasets/upload/")
    page.get_by_label("Data file").set_input_files(str(upload))
    page.get_by_label("Title").fill("Clinic outcomes")
    page.get_by_label("Target column").fill("Outcome ")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{base}/c/{course.pk}/datasets/*/")
    dataset = Dataset.objects.get()

    # The profile fails: the dataset page names the mistake and offers the column it meant.
    def failed() -> bool:
        dataset.profile_job.refresh_from_db()
        return dataset.profile_job.status == JobStatus.FAILED

    _wait(page, failed, "the profile to fail")
    page.reload()
    fix = page.get_by_role("button", name="Use “outcome” as the target")
    assert page.get_by_role("heading", name="The target “Outcome” is not a column").is_visible()
    assert fix.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    look(page, "1-did-you-mean")
    page.screenshot(path="/tmp/shots-report/fix-target-phone.png", full_page=True)

    # One click: the target is saved, the profile reruns and the report appears by itself.
    fix.click()
    page.wait_for_url(f"{base}/c/{course.pk}/datasets/{dataset.pk}/profile/")
    _wait(page, lambda: page.get_by_role("heading", name="How quick baselines score").is_visible(), "the report")
    dataset.refresh_from_db()
    assert dataset.target_column == "outcome" and dataset.profile_job.status == JobStatus.DONE
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    look(page, "2-report")
