import sys

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.defaults import server_error

from courseproj import health, middleware

# Staff sign in to the admin through allauth's form: its rate limits and its
# two-factor step (the admin's own form has neither). Set before
# admin.site.urls below builds the admin's URLs.
admin.site.login = secure_admin_login(admin.site.login)

# Each app's urls.py lists its own pages; every course-scoped URL starts with
# /c/<course id>/ and every id in a URL is an <id:...> (courses/converters.py).
urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("courseproj.courses.urls")),
    path("", include("datasets.urls")),
    path("", include("matching.urls")),
    path("", include("courseproj.planner.urls")),
    path("", include("courseproj.dashboard.urls")),
    # Launches from Moodle or Canvas (LTI 1.3), the roster by NRPS, circles back as groups.
    path("lti/", include("courseproj.lti.urls")),
    # For load balancers and monitors: database, broker and worker canary, no login, no secrets.
    path("health/", health.health, name="health"),
]


def handler500(request):
    """A database or cache outage raised outside a view (session, user) is a 503 page, like one inside."""
    return middleware.service_unavailable(sys.exc_info()[1]) or server_error(request)
