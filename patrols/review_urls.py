"""Board, review and sign-off: included in the patrols namespace."""

from django.urls import path

from . import review_views

urlpatterns = [
    path("board/", review_views.board, name="board"),
    path("<int:patrol_id>/review/", review_views.review, name="review"),
    path("board/<str:community_code>/sign-off/", review_views.sign_off, name="sign_off"),
]
