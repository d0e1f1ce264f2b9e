"""Celery tasks of the planner: they translate a message into a service call."""
from celery import shared_task

from courseproj.planner import services


@shared_task(
    name="planner.reminders_send",  # a public name: queued messages carry it across deploys
    queue="default",
    # A mail server hiccup must not lose the reminders: retry, spaced out.
    autoretry_for=(OSError,),
    retry_backoff=5,
    max_retries=5,
)
def reminders_send_task(emails: list[list]) -> int:
    return services.reminders_send(emails=emails)
