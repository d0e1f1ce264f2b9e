"""Celery tasks of the LMS connection: they translate a message into a service call."""
from celery import shared_task

from courseproj.lti import services


@shared_task(name="lti.nonces_prune", queue="default")  # a public name: queued messages carry it across deploys
def lti_nonces_prune_task() -> int:
    return services.lti_nonces_prune()
