import sys

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.defaults import server_error

from courseproj import dashboard_views, health, middleware, planner_views
from courseproj import views as course_views
from datasets import views as dataset_views
from matching import views as matching_views

course_urls = [
    path("", course_views.course_detail, name="course_detail"),
    path("qr.svg", course_views.course_qr, name="course_qr"),
    path("settings/", course_views.course_settings, name="course_settings"),
    path("regenerate-code/", course_views.course_regenerate_code, name="course_regenerate_code"),
    path("members/", course_views.members, name="members"),
    path("members/import/", course_views.roster_import, name="roster_import"),
    path("members/<int:member_id>/remove/", course_views.member_remove, name="member_remove"),
    path("members/<int:member_id>/role/", course_views.member_set_role, name="member_set_role"),
    path("datasets/", dataset_views.catalog, name="catalog"),
    path("datasets/add/", dataset_views.dataset_add_builtin, name="dataset_add_builtin"),
    path("datasets/upload/", dataset_views.dataset_upload, name="dataset_upload"),
    path("datasets/<int:dataset_id>/", dataset_views.dataset_detail, name="dataset_detail"),
    path("datasets/<int:dataset_id>/review/", dataset_views.dataset_review, name="dataset_review"),
    path("datasets/<int:dataset_id>/target/", dataset_views.dataset_set_target, name="dataset_set_target"),
    path("datasets/<int:dataset_id>/profile/", dataset_views.profile_report, name="profile_report"),
    path("datasets/<int:dataset_id>/profile/rerun/", dataset_views.profile_rerun, name="profile_rerun"),
    path("interests/", matching_views.interests, name="interests"),
    path("interests/everyone/", matching_views.everyone, name="everyone"),
    path("interests/<int:dataset_id>/<slug:action>/", matching_views.interest_change, name="interest_change"),
    path("circle/", matching_views.circle, name="circle"),
    path("matching/", matching_views.matching, name="matching"),
    path("matching/run/", matching_views.matching_run, name="matching_run"),
    path("matching/<int:run_id>/move/", matching_views.matching_move, name="matching_move"),
    path("matching/<int:run_id>/lock/", matching_views.matching_lock, name="matching_lock"),
    path("matching/<int:run_id>/publish/", matching_views.matching_publish, name="matching_publish"),
    path("matching/<int:run_id>/reveal/", matching_views.matching_reveal, name="matching_reveal"),
    path("activity/", matching_views.activity, name="activity"),
    # --- the mini-project planner and the instructor dashboard (issue 6) ---
    path("plan/", planner_views.assignments, name="assignments"),
    path("plan/new/", planner_views.assignment_create, name="assignment_create"),
    path("plan/<int:assignment_id>/", planner_views.assignment_detail, name="assignment_detail"),
    path("plan/<int:assignment_id>/edit/", planner_views.assignment_edit, name="assignment_edit"),
    path("plan/<int:assignment_id>/menu/", planner_views.menu_edit, name="menu_edit"),
    path("plan/<int:assignment_id>/start/", planner_views.plan_start, name="plan_start"),
    path("plans/<int:plan_id>/", planner_views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/milestones/", planner_views.milestone_add, name="milestone_add"),
    path("plans/<int:plan_id>/milestones/<int:milestone_id>/remove/", planner_views.milestone_remove, name="milestone_remove"),
    path("plans/<int:plan_id>/comments/", planner_views.plan_comment, name="plan_comment"),
    path("plans/<int:plan_id>/review/", planner_views.plan_review, name="plan_review"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/students/<int:member_id>/", dashboard_views.dashboard_student, name="dashboard_student"),
    path("dashboard/remind/", dashboard_views.dashboard_remind, name="dashboard_remind"),
    path("dashboard/export.csv", dashboard_views.dashboard_export, name="dashboard_export"),
]

# Staff sign in to the admin through allauth's form: its rate limits and its
# two-factor step (the admin's own form has neither). Set before
# admin.site.urls below builds the admin's URLs.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", course_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("courses/new/", course_views.course_create, name="course_create"),
    path("join/", course_views.join_by_code, name="join_by_code"),
    path("join/<str:code>/", course_views.join_link, name="join_link"),
    path("c/<int:course_id>/", include(course_urls)),
    # The projector: its secret link is the only key (no login in front of the class).
    path("display/<str:token>/", matching_views.display, name="display"),
    path("display/<str:token>/board/", matching_views.display_board, name="display_board"),
    path("display/<str:token>/qr.svg", matching_views.display_qr, name="display_qr"),
    # For load balancers and monitors: database, broker and worker canary, no login, no secrets.
    path("health/", health.health, name="health"),
]


def handler500(request):
    """A database or cache outage raised outside a view (session, user) is a 503 page, like one inside."""
    return middleware.service_unavailable(sys.exc_info()[1]) or server_error(request)
