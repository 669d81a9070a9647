from django.urls import include, path

from . import views

app_name = "grids"

urlpatterns = [
    path("grids/", views.grid_list, name="list"),
    path("grids/<str:grid_code>/", views.grid_detail, name="detail"),
    path("register/import/", include("grids.import_urls")),
]
