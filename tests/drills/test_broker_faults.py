"""Redis restarts, freezes and loses messages (docs/reliability.md rows 38, 39, 40)."""
import http.cookiejar
import re
import time
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from datasets.models import Dataset, JobStatus, ProfileJob
from tests.drills.conftest import assert_consumes, job_of
from tests.drills.processes import wait_for

pytestmark = pytest.mark.drill


@pytest.mark.reliability(38)
def test_row38_redis_restart_loses_queued_messages_and_the_sweeper_resends_them(broker, start_worker, upload):
    datasets = [upload(seed=380 + n) for n in range(3)]
    assert broker.queued("profiling") == 3
    assert {job_of(d).status for d in datasets} == {JobStatus.QUEUED}

    broker.restart()  # no persistence: the three messages are gone
    assert broker.queued("profiling") == 0
    restarted = time.monotonic()
    worker = start_worker(beat=True)

    wait_for(lambda: all(job_of(d).is_finished for d in datasets), timeout=90, what="the lost jobs to finish")
    jobs = [job_of(d) for d in datasets]

    assert all(job.status == JobStatus.DONE and job.attempts == 1 for job in jobs)
    wait_for(lambda: worker.outcomes().count("profiled") >= 3, timeout=10, what="the worker to report")
    assert worker.outcomes().count("profiled") == 3  # re-sent duplicates find nothing to claim
    print(f"\nrow 38: Redis restarted with 3 queued jobs; the sweeper re-sent them and all were done "
          f"{time.monotonic() - restarted:.1f} s later (worker start included)")


def _logged_in_opener(web, client: Client, user) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    client.force_login(user)  # a real session row, committed: gunicorn reads it
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    host = urllib.parse.urlsplit(web.url).hostname
    for name, morsel in client.cookies.items():
        jar.set_cookie(http.cookiejar.Cookie(
            0, name, morsel.value, None, False, host, False, False, "/", True, False, None, False, None, None, {}
        ))
    return opener, jar


@pytest.mark.reliability(39)
def test_row39_frozen_redis_does_not_hang_the_view_and_the_job_is_sent_after_thaw(
    broker, web_server, start_worker, client, course, instructor
):
    opener, _ = _logged_in_opener(web_server, client, instructor)
    add_url = f"{web_server.url}/c/{course.pk}/datasets/add/"
    form = opener.open(add_url, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    broker.freeze()
    started = time.monotonic()
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "keys": ["iris", "wine"]}, doseq=True).encode()
    request = urllib.request.Request(add_url, data=body, headers={"Referer": add_url})
    response = opener.open(request, timeout=30)  # follows the redirect to the catalog
    took = time.monotonic() - started

    assert response.status == 200 and "/datasets/" in response.url
    # Two datasets, one publish timeout: the first failure pauses publishing.
    assert took < 8, f"the view hung for {took:.1f} s"
    jobs = ProfileJob.objects.all()
    assert jobs.count() == 2 and {job.status for job in jobs} == {JobStatus.PENDING}

    broker.thaw()
    thawed = time.monotonic()
    start_worker(beat=True)
    wait_for(lambda: all(job.is_finished for job in ProfileJob.objects.all()), timeout=90,
             what="the pending jobs to be sent and finished")

    assert {job.status for job in ProfileJob.objects.all()} == {JobStatus.DONE}
    assert set(Dataset.objects.values_list("rows", flat=True)) == {150, 178}
    print(f"\nrow 39: with Redis frozen, adding 2 datasets answered in {took:.1f} s with both jobs pending; "
          f"after SIGCONT the sweeper sent them and both were done {time.monotonic() - thawed:.1f} s later")


@pytest.mark.reliability(40)
def test_row40_worker_keeps_consuming_after_a_redis_restart(broker, start_worker, upload):
    worker = start_worker()
    first = upload(seed=40)
    wait_for(lambda: job_of(first).is_finished, timeout=60, what="the first job")

    broker.restart()
    restarted = time.monotonic()
    canary = assert_consumes(worker, timeout=60)
    second = upload(seed=401)
    wait_for(lambda: job_of(second).is_finished, timeout=60, what="a job sent after the restart")

    assert job_of(first).status == job_of(second).status == JobStatus.DONE
    assert "Connection to broker lost" in worker.text()
    print(f"\nrow 40: Redis restarted under a live worker; it reconnected and answered the canary "
          f"{canary:.1f} s later; a new job was done {time.monotonic() - restarted:.1f} s after the restart")
