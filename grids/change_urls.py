"""Changes to the map: patterns included in the `grids` namespace."""

from django.urls import path

from . import change_views

urlpatterns = [
    path("", change_views.change_list, name="changes"),
    path("new/", change_views.change_start, name="change_start"),
    path("new/<str:grid_code>/", change_views.change_new, name="change_new"),
]
