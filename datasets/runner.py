"""The job runner: what a worker does with a claimed profiling job."""
import logging
import threading
import time
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
    started = time.monotonic()

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
            profile_job_fail(job_id=job_id, token=token, code=error.code, message=error.message,
                             details=getattr(error, "details", None) or {})
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
    outcome = notebook_run(job=job, result=result, frame=frame, seconds_left=_seconds_left(started))
    ProfileJob.objects.filter(pk=job_id, runner=token).update(notebook=outcome)
    return "profiled"


# The notebook runs after the profile, in what is left of the task's soft time limit, for at
# most PROFILE_NOTEBOOK_TIMEOUT: a notebook too slow for a student's laptop is no starter.
NOTEBOOK_MIN_SECONDS = 20


def _seconds_left(started: float) -> float:
    limit = settings.PROFILE_SOFT_TIME_LIMIT
    return limit - (time.monotonic() - started) - 5


def notebook_folder(job: ProfileJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "notebooks" / str(job.pk)


def notebook_run(*, job: ProfileJob, result: dict, frame, seconds_left: float) -> dict:
    """Write and execute the starter notebook of a finished profile; what happened, for the job row.

    A notebook that fails, times out or prints another baseline is recorded, never offered; its
    failure never fails the profile.
    """
    from datasets.profiling import ProfileError
    from datasets.profiling.notebook import notebook_write

    configured = settings.PROFILE_NOTEBOOK_TIMEOUT
    if not configured:  # 0: no notebooks (e.g. a test settings file that runs many small profiles)
        return {}
    timeout = int(min(configured, seconds_left))  # nbclient wants an int
    if timeout < NOTEBOOK_MIN_SECONDS:
        return {"error_code": "notebook_timeout",
                "error_message": "The profile used up the time, so no starter notebook was run for it."}
    folder = notebook_folder(job)
    media = Path(settings.MEDIA_ROOT)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if job.builtin_key:
            data_path = folder / f"{job.builtin_key}.csv"
            frame.to_csv(data_path, index=False)
        else:
            data_path = media / job.file_name
        written = notebook_write(result, data_path, folder / "starter.ipynb", timeout=timeout)
    except ProfileError as error:
        return {"error_code": error.code, "error_message": error.message}
    except Exception as error:  # a kernel that would not start, a full disk, the soft time limit
        log.warning("profile job %s: the starter notebook failed", job.pk, exc_info=True)
        return {"error_code": "notebook_failed", "error_message": f"The starter notebook could not be run ({type(error).__name__})."}
    return {**written, "path": str(Path(written["path"]).relative_to(media)),
            "data_path": str(Path(written["data_path"]).relative_to(media))}


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


