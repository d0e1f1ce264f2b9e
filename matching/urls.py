from django.urls import path

from matching import views

urlpatterns = [
    path("c/<id:course_id>/interests/", views.interests, name="interests"),
    path("c/<id:course_id>/interests/everyone/", views.everyone, name="everyone"),
    path("c/<id:course_id>/interests/<id:dataset_id>/add/", views.interest_add, name="interest_add"),
    path("c/<id:course_id>/interests/<id:dataset_id>/remove/", views.interest_remove, name="interest_remove"),
    path("c/<id:course_id>/interests/<id:dataset_id>/up/", views.interest_up, name="interest_up"),
    path("c/<id:course_id>/interests/<id:dataset_id>/down/", views.interest_down, name="interest_down"),
    path("c/<id:course_id>/circle/", views.circle, name="circle"),
    path("c/<id:course_id>/matching/", views.matching, name="matching"),
    path("c/<id:course_id>/matching/run/", views.matching_run, name="matching_run"),
    path("c/<id:course_id>/matching/<id:run_id>/move/", views.matching_move, name="matching_move"),
    path("c/<id:course_id>/matching/<id:run_id>/circles/<id:dataset_id>/lock/", views.matching_lock,
         name="matching_lock"),
    path("c/<id:course_id>/matching/<id:run_id>/circles/<id:dataset_id>/unlock/", views.matching_unlock,
         name="matching_unlock"),
    path("c/<id:course_id>/matching/<id:run_id>/publish/", views.matching_publish, name="matching_publish"),
    path("c/<id:course_id>/matching/<id:run_id>/reveal/", views.matching_reveal, name="matching_reveal"),
    path("c/<id:course_id>/matching/<id:run_id>/hide/", views.matching_hide, name="matching_hide"),
    path("c/<id:course_id>/activity/", views.activity, name="activity"),
    path("c/<id:course_id>/activity/open/", views.activity_open, name="activity_open"),
    path("c/<id:course_id>/activity/close/", views.activity_close, name="activity_close"),
    path("c/<id:course_id>/activity/anonymous/", views.activity_anonymous, name="activity_anonymous"),
    path("c/<id:course_id>/activity/named/", views.activity_named, name="activity_named"),
    path("c/<id:course_id>/activity/lock-rankings/", views.activity_lock_rankings, name="activity_lock_rankings"),
    path("c/<id:course_id>/activity/unlock-rankings/", views.activity_unlock_rankings,
         name="activity_unlock_rankings"),
    path("c/<id:course_id>/activity/new-projector-link/", views.display_link_regenerate,
         name="display_link_regenerate"),
    # The projector: its secret link is the only key (no login in front of the class).
    path("display/<str:token>/", views.display, name="display"),
    path("display/<str:token>/board/", views.display_board, name="display_board"),
    path("display/<str:token>/qr.svg", views.display_qr, name="display_qr"),
]
