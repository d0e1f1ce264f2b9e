"""Faults a drill worker injects, chosen by its environment. Test-only.

Drill workers import this module (`celery worker --include tests.drills.faults`);
no other process does. It wraps the job's progress report, which the
profiling engine calls between its stages, so every fault strikes mid-profile:

- DRILL_SLOW_STEP=S: sleep S seconds after each report. A job on a small
  table then lasts about 13 x S seconds, long enough to be killed mid-way,
  whatever the machine's speed.
- DRILL_FAULT=kill_child: the pool child SIGKILLs itself (as the OOM killer
  would) at its first report, on every delivery.
- DRILL_FAULT=grab_memory: allocate 64 MB blocks until MemoryError; after
  8 GB without one, fail loudly (the address-space cap is not in force).
- DRILL_DB_ERRORS=N: the first N deliveries of each job raise
  OperationalError, as a database restart would.
"""
import os
import signal
import time

from django.db import OperationalError

from datasets import runner
from datasets.models import ProfileJob

SLOW_STEP = float(os.environ.get("DRILL_SLOW_STEP") or 0)
FAULT = os.environ.get("DRILL_FAULT", "")
DB_ERRORS = int(os.environ.get("DRILL_DB_ERRORS") or 0)
BLOCK = 64 * 1024 * 1024

_report = runner.profile_job_progress


def _grab_memory() -> None:
    blocks = []
    for _ in range(128):
        blocks.append(bytearray(BLOCK))  # zero-filled: really used, not just reserved
    raise RuntimeError("drill: 8 GB allocated without a MemoryError; the address-space cap is not in force")


def drilled_progress(*, job_id: int, token: str, fraction: float, stage: str) -> None:
    _report(job_id=job_id, token=token, fraction=fraction, stage=stage)
    if DB_ERRORS and ProfileJob.objects.get(pk=job_id).attempts <= DB_ERRORS:
        raise OperationalError("drill: the database connection was lost")
    if FAULT == "kill_child":
        os.kill(os.getpid(), signal.SIGKILL)
    if FAULT == "grab_memory":
        _grab_memory()
    if SLOW_STEP:
        time.sleep(SLOW_STEP)


runner.profile_job_progress = drilled_progress
