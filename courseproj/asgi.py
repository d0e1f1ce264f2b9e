"""The ASGI entry point: production runs it under gunicorn with courseproj.serving.Worker
(`gunicorn -c deploy/gunicorn.conf.py courseproj.asgi:application`), which holds the live
board's event streams on an event loop and runs the views on a few threads of their own."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseproj.settings")
application = get_asgi_application()
