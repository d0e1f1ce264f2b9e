from django.urls import path

from courseproj.lti import views

# Mounted at /lti/ (courseproj/urls.py). The first five are the LMS's doors; the
# rest are course-scoped staff pages like every other /c/<course id>/ page.
urlpatterns = [
    path("login/", views.lti_login, name="lti_login"),
    path("launch/", views.lti_launch, name="lti_launch"),
    path("deep-link/", views.lti_deep_link, name="lti_deep_link"),
    path("jwks/", views.lti_jwks, name="lti_jwks"),
    path("config/", views.lti_config, name="lti_config"),
    path("c/<id:course_id>/", views.lti_course, name="lti_course"),
    path("c/<id:course_id>/roster/sync/", views.lti_roster_sync, name="lti_roster_sync"),
    path("c/<id:course_id>/runs/<id:run_id>/canvas-groups.csv", views.lti_export_canvas, name="lti_export_canvas"),
    path("c/<id:course_id>/runs/<id:run_id>/moodle-groups.csv", views.lti_export_moodle_groups, name="lti_export_moodle_groups"),
    path("c/<id:course_id>/runs/<id:run_id>/moodle-members.csv", views.lti_export_moodle_members, name="lti_export_moodle_members"),
    path("c/<id:course_id>/runs/<id:run_id>/canvas/", views.lti_canvas_preview, name="lti_canvas_preview"),
    path("c/<id:course_id>/runs/<id:run_id>/canvas/push/", views.lti_canvas_push, name="lti_canvas_push"),
]
