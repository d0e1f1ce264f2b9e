"""The Celery application. Its settings are the CELERY_* names in settings.py,
each with the reason for its value."""
import os
import resource

# One BLAS / OpenMP thread per process, set before numpy loads (Django's set-up
# imports pandas before any worker signal fires). OpenBLAS reserves memory per
# thread, which counts against the children's address-space cap; the engine
# runs its models on one thread anyway (threadpool_limits), and loading a
# 19 MB CSV took the same time with OMP_NUM_THREADS=1 (measured here).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from celery import Celery  # noqa: E402
from celery.signals import worker_process_init  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseproj.settings")

app = Celery("courseproj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **_) -> None:
    """The embedded filesystem broker writes into folders that must exist; made
    when Celery is first used (a publish, a worker), never at import."""
    from pathlib import Path

    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_process_init.connect
def _cap_child_memory(**_) -> None:
    """Cap each pool child's address space: one runaway profile gets a
    MemoryError (caught, job failed) instead of taking the machine down;
    worker_max_memory_per_child only acts after a task finished."""
    from django.conf import settings

    limit = settings.WORKER_MEMORY_LIMIT_MB * 1024 * 1024
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
