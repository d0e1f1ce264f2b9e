from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project itself: settings, root URLs, the Celery app, middleware, /health/ and the demo.

    An app only so that `manage.py demo` is found; it has no models. Its label
    is not `courseproj`: that label belongs to `courseproj.courses`.
    """

    name = "courseproj"
    label = "site"
    verbose_name = "courseproj"
