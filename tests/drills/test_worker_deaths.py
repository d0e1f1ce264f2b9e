"""Workers die, run out of time or memory mid-profile (docs/reliability.md rows 36, 37, 41, 42; issue 7's two workers).

Every job must end done or failed with a reason: never stuck in running, never
profiled twice into two results.
"""
import os
import signal
import time

import pytest

from courseproj.celery import app
from datasets.models import JobStatus, ProfileJob
from datasets.jobs import MAX_ATTEMPTS
from tests.drills.conftest import DRILL_CLOCKS, assert_consumes, drill_csv, job_of, progress_state
from tests.drills.processes import wait_for

pytestmark = pytest.mark.drill


def _running_child(worker) -> int:
    """The PID of the pool child running a task, as the worker itself reports it."""
    active = app.control.inspect(destination=[worker.hostname], timeout=3).active() or {}
    tasks = active.get(worker.hostname) or []
    assert tasks, f"{worker.hostname} is running nothing"
    return tasks[0]["worker_pid"]


def _mid_profile(dataset) -> float:
    return wait_for(lambda: job_of(dataset).progress >= 0.1, timeout=30, what="the job to be mid-profile")


@pytest.mark.reliability(36)
def test_row36_killed_pool_child_is_redelivered_and_the_job_profiled_once(start_worker, upload):
    worker = start_worker(DRILL_SLOW_STEP=0.4)
    dataset = upload(seed=36)
    _mid_profile(dataset)
    child = _running_child(worker)
    assert child in worker.children()
    at = job_of(dataset).progress

    os.kill(child, signal.SIGKILL)
    killed = time.monotonic()
    taken_over = wait_for(lambda: job_of(dataset).attempts == 2, timeout=20, what="the redelivery to take the job over")
    wait_for(lambda: job_of(dataset).is_finished, timeout=60, what="the job to finish")
    job = job_of(dataset)

    assert job.status == JobStatus.DONE and job.result["rows"] == 300 and job.attempts == 2
    assert worker.reported(1) == ["profiled"]  # one result, from the second delivery
    assert ProfileJob.objects.count() == 1
    print(f"\nrow 36: child {child} killed at {at:.0%}; redelivered and claimed after {taken_over:.1f} s; "
          f"done {time.monotonic() - killed:.1f} s after the kill; attempts {job.attempts}; outcomes {worker.outcomes()}")


@pytest.mark.reliability(36)
def test_row36_a_job_that_always_kills_its_child_is_failed_after_three_deliveries(start_worker, upload):
    worker = start_worker(DRILL_FAULT="kill_child")
    dataset = upload(seed=361)

    took = wait_for(lambda: job_of(dataset).is_finished, timeout=90, what="the crash-looping job to be failed")
    job = job_of(dataset)

    assert job.status == JobStatus.FAILED and job.error_code == "crashed"
    assert job.attempts == MAX_ATTEMPTS and f"{MAX_ATTEMPTS} times" in job.error_message
    assert worker.text().count("WorkerLostError") >= MAX_ATTEMPTS
    assert_consumes(worker)  # the worker survived its children
    print(f"\nrow 36: a child-killing job failed after {job.attempts} deliveries in {took:.1f} s: {job.error_message}")


@pytest.mark.reliability(37)
def test_row37_killed_worker_job_is_recovered_by_the_sweeper_and_the_page_says_retrying(
    start_worker, upload, client, instructor
):
    first = start_worker("w1", DRILL_SLOW_STEP=0.4)
    dataset = upload(seed=37)
    _mid_profile(dataset)
    client.force_login(instructor)
    assert progress_state(client, dataset) == "running"

    first.signal(signal.SIGKILL)  # parent and children at once, as a machine loss would
    killed = time.monotonic()
    second = start_worker("w2", beat=True, DRILL_SLOW_STEP=0.4)
    seen: list[tuple[float, str]] = []

    def finished() -> bool:
        seen.append((time.monotonic() - killed, progress_state(client, dataset)))
        return job_of(dataset).is_finished

    recovered = wait_for(finished, timeout=90, what="the killed worker's job to finish", interval=0.3)
    job = job_of(dataset)

    assert job.status == JobStatus.DONE and job.attempts == 2
    assert second.reported(1).count("profiled") == 1 and first.outcomes() == []
    # Once the heartbeat has been silent for half the stale time the page stops saying "running".
    silent = DRILL_CLOCKS["PROFILE_STALE_SECONDS"] / 2 + 1
    late = {state for at, state in seen if at > silent}
    assert late <= {"stalled", "retrying", "done"}, seen
    first_retrying = min(at for at, state in seen if state in ("stalled", "retrying"))
    print(f"\nrow 37: worker killed; page said {seen[0][1]!r} then stalled/retrying from {first_retrying:.1f} s; "
          f"job done {recovered:.1f} s after the kill (second worker start + stale {DRILL_CLOCKS['PROFILE_STALE_SECONDS']} s "
          f"+ sweep + a full profile); states {sorted({s for _, s in seen})}")


@pytest.mark.reliability(19, 41)
def test_row41_slow_file_hits_the_soft_time_limit_and_the_worker_lives_on(start_worker, course, instructor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courseproj.courses.models import Membership
    from datasets import services

    # A genuinely slow file: 20,000 rows x 20 columns profile in about 15 s here; the limit is 2 s.
    worker = start_worker(PROFILE_SOFT_TIME_LIMIT=2, PROFILE_HARD_TIME_LIMIT=6)
    membership = Membership.objects.get(course=course, user=instructor)
    dataset, _ = services.dataset_upload(
        membership=membership, uploaded=SimpleUploadedFile("wide.csv", drill_csv(rows=20_000, seed=41, columns=20)),
        file_format="csv", title="Slow", target_column="label",
    )

    took = wait_for(lambda: job_of(dataset).is_finished, timeout=30, what="the slow job to be stopped")
    job = job_of(dataset)

    assert job.status == JobStatus.FAILED and job.error_code == "too_slow"
    assert "too long" in job.error_message and job.attempts == 1
    assert worker.reported(1) == ["too slow"]
    assert_consumes(worker)
    print(f"\nrow 41: soft limit 2 s; job failed 'too_slow' {took:.1f} s after upload; worker still consumes")


@pytest.mark.reliability(19, 42)
def test_row42_memory_blowup_hits_the_address_space_cap_and_the_worker_lives_on(start_worker, upload):
    worker = start_worker(WORKER_MEMORY_LIMIT_MB=1536, DRILL_FAULT="grab_memory")
    dataset = upload(seed=42)

    took = wait_for(lambda: job_of(dataset).is_finished, timeout=60, what="the memory-hungry job to fail")
    job = job_of(dataset)

    assert job.status == JobStatus.FAILED and job.error_code == "too_large", job.error_message
    assert worker.reported(1) == ["out of memory"]
    assert "WorkerLostError" not in worker.text()  # MemoryError was caught in the child; nothing was killed
    assert_consumes(worker)
    print(f"\nrow 42: RLIMIT_AS 1536 MB; MemoryError caught, job failed 'too_large' after {took:.1f} s; worker alive")


def test_two_workers_on_one_queue_split_the_jobs_and_run_each_once(start_worker, upload):
    first = start_worker("w1", wait=False, DRILL_SLOW_STEP=0.15)
    second = start_worker("w2", wait=False, DRILL_SLOW_STEP=0.15)
    first.wait_ready()
    second.wait_ready()
    datasets = [upload(seed=100 + n) for n in range(6)]

    took = wait_for(lambda: all(job_of(d).is_finished for d in datasets), timeout=120, what="six jobs to finish")
    jobs = [job_of(d) for d in datasets]

    assert all(job.status == JobStatus.DONE and job.attempts == 1 for job in jobs)
    def profiled() -> tuple[int, int]:
        return first.outcomes().count("profiled"), second.outcomes().count("profiled")

    wait_for(lambda: sum(profiled()) >= len(jobs), timeout=10, what="the workers to report")
    time.sleep(1)  # a second run of any job would report now
    profiled = profiled()
    assert sum(profiled) == len(jobs)  # no job profiled twice
    assert min(profiled) >= 1  # both workers took a share
    print(f"\ntwo workers: 6 jobs done in {took:.1f} s, split {profiled[0]} / {profiled[1]}, each profiled once")
