from django.urls import path

from courseproj.dashboard import views

urlpatterns = [
    path("c/<id:course_id>/dashboard/", views.dashboard_page, name="dashboard"),
    path("c/<id:course_id>/dashboard/students/<id:member_id>/", views.dashboard_student, name="dashboard_student"),
    path("c/<id:course_id>/dashboard/remind/", views.dashboard_remind, name="dashboard_remind"),
    path("c/<id:course_id>/dashboard/export.csv", views.dashboard_export, name="dashboard_export"),
]
