from django.urls import path

from courseproj.planner import views

urlpatterns = [
    path("c/<id:course_id>/plan/", views.assignments, name="assignments"),
    path("c/<id:course_id>/plan/new/", views.assignment_create, name="assignment_create"),
    path("c/<id:course_id>/plan/<id:assignment_id>/", views.assignment_detail, name="assignment_detail"),
    path("c/<id:course_id>/plan/<id:assignment_id>/edit/", views.assignment_edit, name="assignment_edit"),
    path("c/<id:course_id>/plan/<id:assignment_id>/menu/", views.menu_edit, name="menu_edit"),
    path("c/<id:course_id>/plan/<id:assignment_id>/start/", views.plan_start, name="plan_start"),
    path("c/<id:course_id>/plans/<id:plan_id>/", views.plan_detail, name="plan_detail"),
    path("c/<id:course_id>/plans/<id:plan_id>/submit/", views.plan_submit, name="plan_submit"),
    path("c/<id:course_id>/plans/<id:plan_id>/milestones/", views.milestone_add, name="milestone_add"),
    path("c/<id:course_id>/plans/<id:plan_id>/milestones/<id:milestone_id>/remove/", views.milestone_remove,
         name="milestone_remove"),
    path("c/<id:course_id>/plans/<id:plan_id>/comments/", views.plan_comment, name="plan_comment"),
    path("c/<id:course_id>/plans/<id:plan_id>/approve/", views.plan_approve, name="plan_approve"),
    path("c/<id:course_id>/plans/<id:plan_id>/request-changes/", views.plan_request_changes,
         name="plan_request_changes"),
]
