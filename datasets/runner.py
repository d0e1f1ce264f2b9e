"""The job runner: what a worker does with a claimed profiling job."""
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from datasets.builtins import load_builtin
from datasets.cells import preview_rows
from datasets.jobs import profile_apply, profile_job_fail, profile_job_progress
from datasets.models import JobStatus, ProfileJob

log = logging.getLogger(__name__)


def profile_job_run(*, job_id: int, token: str) -> str:
    """Run a claimed job: load, profile, store the result and update its datasets.

    Errors the engine names (ProfileError) fail the job with that reason;
    anything else propagates to the task, which decides about retries.
    Returns what happened: "profiled", "failed" or "superseded" (another run
    took the job over meanwhile, so this result is dropped).
    """
    from datasets.profiling import ProfileError, load_table, profile_frame

    job = ProfileJob.objects.get(pk=job_id)

    def progress(fraction: float, stage: str) -> None:
        profile_job_progress(job_id=job_id, token=token, fraction=fraction, stage=stage)

    with _Heartbeat(job_id=job_id, token=token):
        try:
            if job.builtin_key:
                frame, load_info = load_builtin(job.builtin_key), None
            else:
                loaded = load_table(Path(settings.MEDIA_ROOT) / job.file_name, fmt=job.file_format or None)
                frame, load_info = loaded.frame, loaded
            result = profile_frame(frame, target=job.target or None, progress=progress, load_info=load_info)
        except ProfileError as error:
            profile_job_fail(job_id=job_id, token=token, code=error.code, message=error.message)
            return "failed"
    result["preview"] = preview_rows(frame)
    with transaction.atomic():
        updated = ProfileJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, runner=token).update(
            status=JobStatus.DONE, progress=1.0, stage="done", result=result, finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not updated:
            return "superseded"
        job.refresh_from_db()
        profile_apply(job=job, datasets=list(job.datasets.all()))
    return "profiled"


class _Heartbeat(threading.Thread):
    """Touches the running job's row while its run is alive.

    Progress alone is too sparse (one model can take many seconds), and a
    killed or frozen worker must stop beating so the sweeper and the page can
    tell. A database blip only skips beats.
    """

    def __init__(self, *, job_id: int, token: str):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id, self.token = job_id, token
        self.every = max(0.5, settings.PROFILE_STALE_SECONDS / 6)
        self.stopped = threading.Event()

    def __enter__(self) -> "_Heartbeat":
        # Inside a transaction (a caller holding the row, as tests do) another
        # connection could neither see nor update the row: no heartbeat then.
        if not connection.in_atomic_block:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        if self.is_alive():
            self.join(timeout=5)

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                close_old_connections()  # drop a connection a database restart broke
                try:
                    ProfileJob.objects.filter(pk=self.job_id, status=JobStatus.RUNNING, runner=self.token).update(
                        updated_at=timezone.now()
                    )
                except DatabaseError:
                    log.warning("profile job %s: heartbeat skipped (database unavailable)", self.job_id)
        finally:
            connection.close()  # this thread's own connection


