"""Celery tasks of matching: they translate a message into a service call."""
from celery import shared_task

from matching import services


@shared_task(
    name="matching.match_run_notify",  # a public name: queued messages carry it across deploys
    queue="default",
    # An SMTP hiccup should not lose the circle emails: retry a few times, spaced out.
    autoretry_for=(OSError,),
    retry_backoff=5,
    max_retries=5,
)
def match_run_notify_task(run_id: int) -> int:
    return services.match_run_notify(run_id=run_id)


@shared_task(name="matching.match_runs_notify_sweep", queue="default")
def match_runs_notify_sweep_task() -> int:
    return services.match_runs_notify_sweep()
