"""/health/ turns red when the only worker stops consuming, and green again (issue 7, item 2)."""
import json
import signal
import urllib.error
import urllib.request

import pytest

from tests.drills.conftest import DRILL_CLOCKS
from tests.drills.processes import wait_for

pytestmark = pytest.mark.drill


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/health/", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_turns_red_when_the_worker_stops_consuming_and_green_when_it_resumes(web_server, start_worker):
    worker = start_worker(beat=True)
    wait_for(lambda: _health(web_server.url)[0] == 200, timeout=30, what="health to be green")
    status, body = _health(web_server.url)
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["transport"] == "redis"

    worker.signal(signal.SIGSTOP)  # alive, holding its connections, consuming nothing
    try:
        to_red = wait_for(lambda: _health(web_server.url)[0] == 503, timeout=60, what="health to turn red",
                          interval=0.5)
        status, body = _health(web_server.url)
        assert body["status"] == "failing" and not body["checks"]["workers"]["ok"]
        assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    finally:
        worker.signal(signal.SIGCONT)
    to_green = wait_for(lambda: _health(web_server.url)[0] == 200, timeout=30, what="health to be green again",
                        interval=0.5)

    max_age = DRILL_CLOCKS["HEALTH_CANARY_MAX_AGE"]
    assert to_red <= max_age + 3
    print(f"\nhealth: worker SIGSTOPped; /health/ 503 after {to_red:.1f} s (max age {max_age} s); "
          f"SIGCONT; 200 again after {to_green:.1f} s; body while red: {json.dumps(body['checks']['workers'])}")
