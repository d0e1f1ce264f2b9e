from django.urls import path

from courseproj.courses import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/name/", views.account_name, name="account_name"),
    path("courses/new/", views.course_create, name="course_create"),
    path("join/", views.join_by_code, name="join_by_code"),
    path("join/<str:code>/", views.join_link, name="join_link"),
    path("c/<id:course_id>/", views.course_detail, name="course_detail"),
    path("c/<id:course_id>/qr.svg", views.course_qr, name="course_qr"),
    path("c/<id:course_id>/settings/", views.course_settings, name="course_settings"),
    path("c/<id:course_id>/regenerate-code/", views.course_regenerate_code, name="course_regenerate_code"),
    path("c/<id:course_id>/members/", views.members, name="members"),
    path("c/<id:course_id>/members/import/", views.roster_import, name="roster_import"),
    path("c/<id:course_id>/members/<id:member_id>/remove/", views.member_remove, name="member_remove"),
    path("c/<id:course_id>/members/<id:member_id>/role/", views.member_set_role, name="member_set_role"),
]
