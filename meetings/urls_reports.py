from django.urls import path

from . import report_views

urlpatterns = [
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report"),
    path("reports/<int:report_id>/pdf/", report_views.report_pdf, name="report_pdf"),
    path("reports/<int:report_id>/refresh/", report_views.report_refresh, name="report_refresh"),
    path("reports/<int:report_id>/return/", report_views.report_return, name="report_return"),
]
