from django.urls import path

from datasets import views

urlpatterns = [
    path("c/<id:course_id>/datasets/", views.catalog, name="catalog"),
    path("c/<id:course_id>/datasets/add/", views.dataset_add_builtin, name="dataset_add_builtin"),
    path("c/<id:course_id>/datasets/upload/", views.dataset_upload, name="dataset_upload"),
    path("c/<id:course_id>/datasets/<id:dataset_id>/", views.dataset_detail, name="dataset_detail"),
    path("c/<id:course_id>/datasets/<id:dataset_id>/approve/", views.dataset_approve, name="dataset_approve"),
    path("c/<id:course_id>/datasets/<id:dataset_id>/reject/", views.dataset_reject, name="dataset_reject"),
    path("c/<id:course_id>/datasets/<id:dataset_id>/target/", views.dataset_set_target, name="dataset_set_target"),
    path("c/<id:course_id>/datasets/<id:dataset_id>/profile/", views.profile_report, name="profile_report"),
    path("c/<id:course_id>/datasets/<id:dataset_id>/profile/rerun/", views.profile_rerun, name="profile_rerun"),
    path("c/<id:course_id>/datasets/<id:dataset_id>/profile/notebook.zip", views.profile_notebook, name="profile_notebook"),
]
