"""The WSGI entry point: the demo's `runserver` and the browser tests' live_server (threaded).

The live board's event streams work there too, one server thread each;
production serves courseproj.asgi instead (courseproj/serving.py says why).
"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseproj.settings")
application = get_wsgi_application()
