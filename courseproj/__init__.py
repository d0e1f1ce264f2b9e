"""courseproj: the Django project, and the package of the product's small apps.

The project keeps settings, root URLs, the Celery app, middleware, /health/
and the demo. The parts of the product are apps inside it or beside it, with
dependencies one way (checked by import-linter, see pyproject.toml):
courses ← datasets ← matching ← planner ← dashboard.
"""
from courseproj.celery import app as celery_app

__all__ = ["celery_app"]
