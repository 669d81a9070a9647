"""The register's XLSX import: patterns included in the `grids` namespace."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.import_upload, name="import"),
    path("template.xlsx", import_views.import_template, name="import_template"),
    path("<int:import_id>/", import_views.import_detail, name="import_detail"),
    path("<int:import_id>/report.xlsx", import_views.import_report, name="import_report"),
]
