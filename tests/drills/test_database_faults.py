"""The database blinks, transactions roll back, failures repeat (docs/reliability.md rows 40, 43, 44)."""
import re
import time

import pytest
from django.db import connection, transaction

from datasets.models import Dataset, JobStatus, ProfileJob
from tests.drills.conftest import DRILL_CLOCKS, assert_consumes, job_of, progress_state
from tests.drills.processes import wait_for

pytestmark = pytest.mark.drill


def _terminate_other_backends() -> int:
    """PostgreSQL: cut every other session on the test database, as a restart would (the server stays up)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.reliability(40)
def test_row40_database_blip_mid_profile_is_retried_with_backoff(start_worker, upload):
    postgres = connection.vendor == "postgresql"
    # On PostgreSQL the worker's sessions are really cut; SQLite has no server
    # to cut them, so the worker raises OperationalError once instead.
    worker = start_worker(DRILL_SLOW_STEP=0.4, **({} if postgres else {"DRILL_DB_ERRORS": 1}))
    dataset = upload(seed=404)
    wait_for(lambda: job_of(dataset).progress >= 0.1, timeout=30, what="the job to be mid-profile")
    if postgres:
        assert _terminate_other_backends() >= 1

    wait_for(lambda: job_of(dataset).is_finished, timeout=60, what="the job to finish after the blip")
    job = job_of(dataset)

    assert job.status == JobStatus.DONE and job.attempts == 2
    assert "Retry in 1s" in worker.text() and worker.reported(1) == ["profiled"]
    print(f"\nrow 40: database blip ({'pg_terminate_backend' if postgres else 'injected OperationalError'}) "
          f"mid-profile; retried after 1 s, done on attempt {job.attempts}")


class Rollback(Exception):
    pass


@pytest.mark.reliability(43)
def test_row43_nothing_is_sent_for_a_rolled_back_upload_nor_before_commit(broker, start_worker, upload):
    worker = start_worker()
    with pytest.raises(Rollback), transaction.atomic():
        upload(seed=43)
        raise Rollback
    assert not Dataset.objects.exists() and not ProfileJob.objects.exists()
    assert broker.queued("profiling") == 0

    with transaction.atomic():
        dataset = upload(seed=431)
        time.sleep(1.5)  # a worker polling meanwhile must get nothing
        assert broker.queued("profiling") == 0 and worker.outcomes() == []
    wait_for(lambda: job_of(dataset).is_finished, timeout=60, what="the committed job")

    assert job_of(dataset).status == JobStatus.DONE
    assert worker.reported(1) == ["profiled"]  # never "nothing to claim": it never looked for a missing row
    print("\nrow 43: rolled-back upload sent nothing; a committed one was sent after commit only and profiled once")


@pytest.mark.reliability(44)
def test_row44_repeated_failure_backs_off_then_fails_with_a_visible_reason(start_worker, upload, client, instructor):
    retries = DRILL_CLOCKS["PROFILE_MAX_RETRIES"]
    worker = start_worker(DRILL_DB_ERRORS=99)
    dataset = upload(seed=44)

    took = wait_for(lambda: job_of(dataset).is_finished, timeout=60, what="the failing job to give up")
    job = job_of(dataset)

    assert job.status == JobStatus.FAILED and job.error_code == "database_unavailable"
    assert job.attempts == retries + 1
    delays = [int(s) for s in re.findall(r"Retry in (\d+)s", worker.text())]
    assert delays == [2**n for n in range(retries)]  # 1 s, 2 s, 4 s: exponential, capped by the count
    client.force_login(instructor)
    assert progress_state(client, dataset) == "failed"
    report = client.get(f"/c/{dataset.course_id}/datasets/{dataset.pk}/profile/").content.decode()
    assert "The database kept failing" in report and "Run again" in report
    assert_consumes(worker)
    print(f"\nrow 44: {job.attempts} deliveries with back-off {delays} s, then failed after {took:.1f} s: "
          f"{job.error_message!r}")
